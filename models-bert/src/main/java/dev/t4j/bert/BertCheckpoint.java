package dev.t4j.bert;

import dev.t4j.model.Checkpoints;
import dev.t4j.nn.Module;
import dev.t4j.safetensors.CheckpointFiles;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Loads and saves BERT checkpoints in Hugging Face's folder layout (config.json + model.safetensors). */
public final class BertCheckpoint {
    private BertCheckpoint() {}

    public static BertConfig config(Path dir) {
        return BertConfig.fromJson(Checkpoints.config(dir, "bert", "BERT"));
    }

    public static BertForMaskedLM loadMaskedLM(Path dir) {
        BertForMaskedLM model = new BertForMaskedLM(config(dir), new Generator(0));
        load(model, dir, List.of("cls.seq_relationship.", "bert.pooler."));
        model.eval(); // as Hugging Face's from_pretrained: dropout off until training asks for it
        return model;
    }

    public static BertForSequenceClassification loadSequenceClassification(Path dir) {
        BertForSequenceClassification model = new BertForSequenceClassification(config(dir), new Generator(0));
        load(model, dir, List.of("cls."));
        model.eval();
        return model;
    }

    /**
     * A classifier initialised from any BERT checkpoint (a pretrained masked LM, a bare encoder, or a classifier):
     * the encoder is loaded, and the pooler and classifier are loaded when the checkpoint has them (with the
     * same number of labels), else freshly initialised. Returns the names that were initialised fresh.
     */
    public static List<String> loadForFineTuning(BertForSequenceClassification model, Path dir) {
        try (CheckpointFiles st = CheckpointFiles.open(dir)) {
            Map<String, Tensor> source = Checkpoints.tensors(st, name -> {
                String key = key(name);
                boolean otherLabels = key.startsWith("classifier.") // a classifier for another label set: start anew
                        && st.entry(name).shape()[0] != model.config.numLabels();
                return isBuffer(key) || key.startsWith("cls.") || otherLabels ? null : key;
            });
            Module.LoadReport report = model.load(source, false);
            for (String missing : report.missing()) {
                if (!missing.startsWith("bert.pooler.") && !missing.startsWith("classifier.")) {
                    throw new IllegalArgumentException(dir + ": the encoder parameter '" + missing + "' is missing");
                }
            }
            if (!report.unexpected().isEmpty()) {
                throw new IllegalArgumentException(dir + ": unexpected tensors " + report.unexpected());
            }
            return report.missing();
        }
    }

    /**
     * Fills {@code model} from dir/model.safetensors. Keys of a bare BertModel get the "bert." prefix; buffers
     * (position_ids) and the heads of other BERT classes listed in {@code otherHeads} are skipped; anything else
     * missing or unexpected is an error naming it.
     */
    static void load(Module model, Path dir, List<String> otherHeads) {
        Checkpoints.load(model, dir, name -> {
            String key = key(name);
            return isBuffer(key) || otherHeads.stream().anyMatch(key::startsWith) ? null : key;
        });
    }

    /** A bare BertModel's file names its encoder without the "bert." prefix that the heads' classes give it. */
    private static String key(String name) {
        return name.startsWith("bert.") || name.startsWith("cls.") || name.startsWith("classifier.") ? name
                : "bert." + name;
    }

    private static boolean isBuffer(String key) {
        return key.endsWith("position_ids");
    }

    /** config.json and model.safetensors (tied decoder weights not stored, {"format": "pt"}), each atomically. */
    public static void save(Module model, BertConfig config, String architecture, Path dir) {
        Checkpoints.save(dir, config.toJson(architecture), model.namedParameters());
    }
}
