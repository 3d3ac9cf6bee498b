package dev.t4j.bench;

import dev.t4j.cpu.CpuBackend;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * One training step's matrix products (TrainingProducts.STEP, each shape as many times as a step runs it, in the
 * step's layouts) on one thread, as a Runnable for StepAB: a GEMM change measured on the products alone, without the
 * rest of the step's noise. -Dab.only=NAME keeps one product (a '+' in NAME stands for a space: bench/ab.sh passes
 * JAVA_OPTS unquoted). Compiled by bench/ab.sh against each build it compares.
 */
public class ProductsStepper implements Runnable {
    private final CpuBackend cpu = new CpuBackend(1);
    private final List<Tensor[]> operands = new ArrayList<>();
    private final List<Integer> perStep = new ArrayList<>();

    public ProductsStepper() {
        String only = System.getProperty("ab.only", "").replace('+', ' ');
        Scope.open("products"); // held for the JVM's life, as the build's own classes are
        Generator gen = new Generator(1);
        for (TrainingProducts.Product p : TrainingProducts.STEP) {
            if (!only.isEmpty() && !p.name().equals(only)) {
                continue;
            }
            // stored as the step stores them: a transposed operand is a view of a row-major matrix
            Tensor a = p.layout().charAt(0) == 't' ? Tensor.randn(gen, p.k(), p.m()).to(cpu).mT()
                    : Tensor.randn(gen, p.m(), p.k()).to(cpu);
            Tensor b = p.layout().charAt(1) == 't' ? Tensor.randn(gen, p.n(), p.k()).to(cpu).mT()
                    : Tensor.randn(gen, p.k(), p.n()).to(cpu);
            operands.add(new Tensor[] {a, b, Tensor.empty(cpu, a.dtype(), p.m(), p.n())});
            perStep.add(p.perStep());
        }
        if (operands.isEmpty()) {
            throw new IllegalArgumentException("ab.only: no product named '" + only + "' in TrainingProducts.STEP");
        }
    }

    @Override
    public void run() {
        for (int i = 0; i < operands.size(); i++) {
            Tensor[] o = operands.get(i);
            for (int r = 0; r < perStep.get(i); r++) {
                cpu.matmul(o[0], o[1], o[2]);
            }
        }
    }
}
