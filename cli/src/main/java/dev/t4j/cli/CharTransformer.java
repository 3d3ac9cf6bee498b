package dev.t4j.cli;

import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A small decoder-only Transformer over characters, written directly in tensor operations the way nanoGPT
 * reads: token and position embeddings, pre-LN blocks of causal self-attention and a GELU MLP, a final layer
 * norm and an LM head tied to the token embedding. It is the demo model until the GPT family module (with its
 * layers, checkpoints and generation) replaces it.
 */
final class CharTransformer {
    record Config(int vocab, int context, int width, int layers, int heads) {
        Config {
            if (vocab <= 0 || context <= 0 || width <= 0 || layers <= 0 || heads <= 0) {
                throw new IllegalArgumentException("all sizes must be positive: " + this);
            }
            if (width % heads != 0) {
                throw new IllegalArgumentException("width " + width + " is not divisible by heads " + heads);
            }
        }
    }

    private record Block(Tensor ln1w, Tensor ln1b, Tensor attnW, Tensor attnB, Tensor projW, Tensor projB,
            Tensor ln2w, Tensor ln2b, Tensor fcW, Tensor fcB, Tensor fcProjW, Tensor fcProjB) {}

    final Config config;
    private final Tensor wte;
    private final Tensor wpe;
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor lnfW;
    private final Tensor lnfB;
    private final Tensor causal; // [T, T], true above the diagonal: positions a query may not see

    CharTransformer(Config c, Generator gen) {
        this.config = c;
        int d = c.width();
        double std = 0.02;
        double projStd = 0.02 / Math.sqrt(2.0 * c.layers()); // GPT-2: residual projections scaled by depth
        wte = param(Tensor.randn(gen, c.vocab(), d).mul(std));
        wpe = param(Tensor.randn(gen, c.context(), d).mul(std));
        for (int l = 0; l < c.layers(); l++) {
            blocks.add(new Block(param(Tensor.ones(d)), param(Tensor.zeros(d)),
                    param(Tensor.randn(gen, d, 3 * d).mul(std)), param(Tensor.zeros(3 * d)),
                    param(Tensor.randn(gen, d, d).mul(projStd)), param(Tensor.zeros(d)),
                    param(Tensor.ones(d)), param(Tensor.zeros(d)),
                    param(Tensor.randn(gen, d, 4 * d).mul(std)), param(Tensor.zeros(4 * d)),
                    param(Tensor.randn(gen, 4 * d, d).mul(projStd)), param(Tensor.zeros(d))));
        }
        lnfW = param(Tensor.ones(d));
        lnfB = param(Tensor.zeros(d));
        Tensor pos = Tensor.arange(c.context());
        causal = pos.unsqueeze(0).gt(pos.unsqueeze(1));
    }

    private static Tensor param(Tensor t) {
        return t.detach().requiresGrad(true);
    }

    List<Tensor> parameters() {
        List<Tensor> ps = new ArrayList<>(List.of(wte, wpe));
        for (Block b : blocks) {
            ps.addAll(List.of(b.ln1w, b.ln1b, b.attnW, b.attnB, b.projW, b.projB, b.ln2w, b.ln2b, b.fcW, b.fcB,
                    b.fcProjW, b.fcProjB));
        }
        ps.addAll(List.of(lnfW, lnfB));
        return ps;
    }

    long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    /** Logits [B, T, vocab] for token ids [B, T]. */
    Tensor forward(Tensor ids, Generator dropoutGen, double dropout, boolean training) {
        int bsz = ids.size(0);
        int t = ids.size(1);
        if (t > config.context()) {
            throw new IllegalArgumentException("sequence of " + t + " tokens exceeds the context of " + config.context());
        }
        Tensor x = Tensor.embedding(wte, ids).add(wpe.narrow(0, 0, t)); // (B, T, C)
        x = x.dropout(dropout, dropoutGen, training);
        for (Block b : blocks) {
            x = x.add(attention(x.layerNorm(b.ln1w, b.ln1b, 1e-5), b, bsz, t, dropoutGen, dropout, training));
            Tensor h = x.layerNorm(b.ln2w, b.ln2b, 1e-5).matmul(b.fcW).add(b.fcB).geluTanh();
            x = x.add(h.matmul(b.fcProjW).add(b.fcProjB).dropout(dropout, dropoutGen, training));
        }
        return x.layerNorm(lnfW, lnfB, 1e-5).matmul(wte.mT()); // (B, T, vocab), head tied to wte
    }

    private Tensor attention(Tensor x, Block b, int bsz, int t, Generator gen, double dropout, boolean training) {
        int d = config.width();
        int h = config.heads();
        int hd = d / h;
        Tensor qkv = x.matmul(b.attnW).add(b.attnB); // (B, T, 3C)
        Tensor q = qkv.narrow(2, 0, d).reshape(bsz, t, h, hd).transpose(1, 2); // (B, nh, T, hs)
        Tensor k = qkv.narrow(2, d, d).reshape(bsz, t, h, hd).transpose(1, 2);
        Tensor v = qkv.narrow(2, 2 * d, d).reshape(bsz, t, h, hd).transpose(1, 2);
        Tensor att = q.matmul(k.mT()).mul(1.0 / Math.sqrt(hd)); // (B, nh, T, T)
        att = att.maskedFill(causal.narrow(0, 0, t).narrow(1, 0, t), Double.NEGATIVE_INFINITY).softmax(-1);
        att = att.dropout(dropout, gen, training);
        Tensor y = att.matmul(v).transpose(1, 2).reshape(bsz, t, d); // (B, T, C)
        return y.matmul(b.projW).add(b.projB).dropout(dropout, gen, training);
    }

    /** Samples {@code count} tokens after {@code prompt} with temperature and top-k. */
    int[] sample(int[] prompt, int count, double temperature, int topK, Generator gen) {
        int[] out = new int[prompt.length + count];
        System.arraycopy(prompt, 0, out, 0, prompt.length);
        for (int n = prompt.length; n < out.length; n++) {
            int start = Math.max(0, n - config.context());
            long[] window = new long[n - start];
            for (int i = start; i < n; i++) {
                window[i - start] = out[i];
            }
            Tensor logits = forward(Tensor.of(window, 1, window.length), gen, 0, false);
            float[] last = logits.select(1, window.length - 1).reshape(-1).to(DType.F32).toFloatArray();
            out[n] = pick(last, temperature, topK, gen);
        }
        return out;
    }

    private static int pick(float[] logits, double temperature, int topK, Generator gen) {
        float[] sorted = logits.clone();
        java.util.Arrays.sort(sorted);
        float cutoff = sorted[Math.max(0, sorted.length - topK)];
        double max = sorted[sorted.length - 1];
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = logits[i] < cutoff ? 0 : Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        double r = gen.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            r -= p[i];
            if (r <= 0 && p[i] > 0) {
                return i;
            }
        }
        return p.length - 1;
    }
}
