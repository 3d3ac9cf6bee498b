package dev.t4j.gpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.generation.GenerationConfig;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GPT-3's alternating dense / locally banded attention. */
class LocalAttentionTest {
    static final GPT2Config BASE = new GPT2Config(50, 32, 32, 2, 4, 64, "gelu_new", 1e-5, 0, 0, 0, Map.of());

    @Test
    void theBandHidesKeysAWindowOrMoreBehindTheirQuery() {
        // queries at positions 2..4 (past 2), keys 0..4, window 2: query q sees keys q-1 and q only
        float[] band = GPT2LMHeadModel.GPT2Model.bandMask(2, 3, 2).toFloatArray();
        float m = -Float.MAX_VALUE;
        assertThat(band).containsExactly(
                m, 0, 0, 0, 0,
                m, m, 0, 0, 0,
                m, m, m, 0, 0);
        GPT2Config local = BASE.withLocalAttention(2);
        assertThat(local.isLocalLayer(0)).isFalse();
        assertThat(local.isLocalLayer(1)).isTrue();
        assertThat(local.toJson()).containsEntry(GPT2Config.LOCAL_WINDOW_KEY, 2L);
        assertThat(local.withLocalAttention(0).localAttentionWindow()).isZero();
    }

    @Test
    void aWindowAsLongAsTheContextIsDenseAndTheCacheAppliesTheBandToo() {
        try (Scope s = Scope.open("test")) {
            Tensor x = Tensor.randint(new Generator(5), 50, 1, 12);
            GPT2LMHeadModel dense = new GPT2LMHeadModel(BASE, new Generator(1));
            GPT2LMHeadModel wide = new GPT2LMHeadModel(BASE.withLocalAttention(32), new Generator(1));
            assertThat(wide.forward(x, null, false).logits().toFloatArray())
                    .containsExactly(dense.forward(x, null, false).logits().toFloatArray());
            GPT2LMHeadModel narrow = new GPT2LMHeadModel(BASE.withLocalAttention(2), new Generator(1));
            assertThat(narrow.forward(x, null, false).logits().toFloatArray())
                    .isNotEqualTo(dense.forward(x, null, false).logits().toFloatArray());
            long[] prompt = x.toLongArray();
            assertThat(TextGeneration.generate(narrow, prompt, GenerationConfig.greedy(8), null))
                    .containsExactly(TextGeneration.generate(narrow, prompt, GenerationConfig.greedy(8).withCache(false), null));
        }
    }
}
