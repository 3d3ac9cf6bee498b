package dev.t4j.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    @SuppressWarnings("unchecked")
    void parsesEveryKindOfValueAndKeepsKeyOrder() {
        Map<String, Object> m = Json.parseObject("""
                {"b": 1, "a": [true, false, null, -2.5e-3, "x\\u00e9\\n"], "c": {"n_inner": null}, "big": 12345678901}
                """, "t.json");
        assertThat(m.keySet()).containsExactly("b", "a", "c", "big");
        assertThat(m.get("b")).isEqualTo(1L);
        assertThat((List<Object>) m.get("a")).containsExactly(true, false, null, -2.5e-3, "xé\n");
        assertThat(m.get("big")).isEqualTo(12345678901L);
    }

    @Test
    void roundTripsWithoutLoss() {
        String text = "{\"layer_norm_epsilon\":1.0E-5,\"n_embd\":64,\"architectures\":[\"GPT2LMHeadModel\"],"
                + "\"x\":{\"y\":[1,2.5,\"q\\\"\"]},\"ok\":true,\"none\":null}";
        Object parsed = Json.parse(text, "t");
        assertThat(Json.parse(Json.write(parsed), "t")).isEqualTo(parsed);
        assertThat(Json.parse(Json.writePretty(parsed), "t")).isEqualTo(parsed);
        assertThat(Json.write(parsed)).isEqualTo(text);
    }

    @Test
    void errorsNameTheSourceAndPosition() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1,\n \"b\" 2}", "config.json"))
                .hasMessageContaining("config.json").hasMessageContaining("line 2");
        assertThatThrownBy(() -> Json.parse("[1, 2", "f")).hasMessageContaining("unexpected end of input");
        assertThatThrownBy(() -> Json.parse("{} x", "f")).hasMessageContaining("after the JSON value");
        assertThatThrownBy(() -> Json.parse("\"abc", "f")).hasMessageContaining("unterminated string");
    }
}
