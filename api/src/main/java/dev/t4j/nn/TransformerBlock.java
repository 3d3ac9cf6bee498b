package dev.t4j.nn;

import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.function.UnaryOperator;

/**
 * One transformer layer: self-attention, optionally cross-attention over an encoder's states (a decoder layer), and a
 * feed-forward block, each on a residual branch with dropout, wired either way the literature does:
 * <ul>
 *   <li>pre-LN ({@code normFirst}, GPT-2, T5, ViT): x + branch(norm(x)), which trains deep stacks without warm-up
 *       tricks but leaves the last block's output unnormalised (a model adds a final norm);
 *   <li>post-LN (the original Transformer, BERT): norm(x + branch(x)).
 * </ul>
 * As torch's nn.TransformerEncoderLayer / TransformerDecoderLayer ({@code norm_first}), and with their child names:
 * {@code self_attn}, {@code multihead_attn} (cross-attention), {@code norm1}, {@code norm2}, {@code norm3} (the norm
 * before or after each branch, in order), plus {@code mlp} for the {@link FeedForward}. Norms are layer norms or T5's
 * RMS norms. A bad size fails here, naming it.
 */
public final class TransformerBlock extends Module {
    /**
     * @param normFirst pre-LN when true, post-LN when false
     * @param crossAttention whether the layer attends to a context (a decoder layer of an encoder-decoder)
     * @param rmsNorm RMS norms (T5: no mean, no bias) instead of layer norms
     * @param eps the norms' epsilon
     * @param dropout the probability of dropping a unit of each residual branch's output while training
     */
    public record Options(boolean normFirst, boolean crossAttention, boolean rmsNorm, double eps, double dropout,
            MultiHeadAttention.Options attention, FeedForward.Options feedForward) {
        /** Pre-LN, self-attention only, layer norms with eps 1e-5, no dropout, the two modules' defaults. */
        public static Options defaults() {
            return new Options(true, false, false, 1e-5, 0, MultiHeadAttention.Options.defaults(),
                    FeedForward.Options.defaults());
        }

        public Options withNormFirst(boolean n) {
            return new Options(n, crossAttention, rmsNorm, eps, dropout, attention, feedForward);
        }

        public Options withCrossAttention(boolean c) {
            return new Options(normFirst, c, rmsNorm, eps, dropout, attention, feedForward);
        }

        public Options withRmsNorm(boolean r) {
            return new Options(normFirst, crossAttention, r, eps, dropout, attention, feedForward);
        }

        public Options withDropout(double p) {
            return new Options(normFirst, crossAttention, rmsNorm, eps, p, attention, feedForward);
        }

        public Options withAttention(MultiHeadAttention.Options a) {
            return new Options(normFirst, crossAttention, rmsNorm, eps, dropout, a, feedForward);
        }

        public Options withFeedForward(FeedForward.Options f) {
            return new Options(normFirst, crossAttention, rmsNorm, eps, dropout, attention, f);
        }
    }

    private final boolean normFirst;
    private final MultiHeadAttention selfAttention;
    private final MultiHeadAttention crossAttention; // null in an encoder layer
    private final FeedForward mlp;
    private final UnaryOperator<Tensor> selfNorm;
    private final UnaryOperator<Tensor> crossNorm;
    private final UnaryOperator<Tensor> mlpNorm;
    private final Dropout dropout;

    /** A layer {@code width} wide with {@code heads} heads and {@code inner} feed-forward units. */
    public TransformerBlock(int width, int heads, int inner, Options o, Generator gen) {
        this(width, width, heads, inner, o, gen);
    }

    /** A decoder layer whose cross-attention reads a context {@code contextWidth} wide. */
    public TransformerBlock(int width, int contextWidth, int heads, int inner, Options o, Generator gen) {
        if (width <= 0 || contextWidth <= 0 || heads <= 0 || inner <= 0) {
            throw new IllegalArgumentException("transformer block sizes must be positive: width " + width
                    + ", context width " + contextWidth + ", heads " + heads + ", inner " + inner);
        }
        // heads that do not divide the width, and a bad eps, are named by MultiHeadAttention and the norms
        normFirst = o.normFirst();
        selfAttention = child("self_attn", new MultiHeadAttention(width, heads, o.attention(), gen));
        crossAttention = o.crossAttention()
                ? child("multihead_attn", new MultiHeadAttention(width, contextWidth, heads, o.attention(), gen))
                : null;
        mlp = child("mlp", new FeedForward(width, inner, o.feedForward(), gen));
        selfNorm = norm("norm1", width, o);
        crossNorm = o.crossAttention() ? norm("norm2", width, o) : null;
        mlpNorm = norm(o.crossAttention() ? "norm3" : "norm2", width, o);
        dropout = child("dropout", new Dropout(o.dropout(), gen)); // a child, so that eval() turns it off
    }

    private UnaryOperator<Tensor> norm(String name, int width, Options o) {
        if (o.rmsNorm()) {
            return child(name, new RMSNorm(width, o.eps()))::forward;
        }
        return child(name, new LayerNorm(width, o.eps()))::forward;
    }

    /** An encoder layer's pass over x [B, T, width], with an additive attention bias (padding, positions) or null. */
    public Tensor forward(Tensor x, Tensor bias) {
        return forward(x, bias, false, null, null);
    }

    /**
     * The general form: self-attention with {@code bias} (null: none) and, for a decoder, {@code causal}; then, in a
     * layer built with cross-attention, attention over {@code context} [B, S, contextWidth] with {@code contextBias}
     * (the encoder's padding; null: none); then the feed-forward block.
     */
    public Tensor forward(Tensor x, Tensor bias, boolean causal, Tensor context, Tensor contextBias) {
        if ((context != null) != (crossAttention != null)) {
            throw new IllegalArgumentException(crossAttention == null
                    ? "this transformer block has no cross-attention: build it with crossAttention to pass a context"
                    : "this transformer block attends to a context: pass the encoder's states");
        }
        x = residual(x, selfNorm, h -> selfAttention.forward(h, null, bias, causal, null, 0));
        if (crossAttention != null) {
            x = residual(x, crossNorm, h -> crossAttention.forward(h, context, contextBias, false, null, 0));
        }
        return residual(x, mlpNorm, mlp::forward);
    }

    /** x + dropout(branch(norm(x))) pre-LN, norm(x + dropout(branch(x))) post-LN. */
    private Tensor residual(Tensor x, UnaryOperator<Tensor> norm, UnaryOperator<Tensor> branch) {
        if (normFirst) {
            return x.add(dropout.forward(branch.apply(norm.apply(x))));
        }
        return norm.apply(x.add(dropout.forward(branch.apply(x))));
    }
}
