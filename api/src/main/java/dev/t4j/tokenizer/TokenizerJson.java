package dev.t4j.tokenizer;

import dev.t4j.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A tokenizer read from Hugging Face's tokenizer.json: added tokens matched first in the raw text, then
 * normalizer, pre-tokenizer, model (BPE or WordPiece), post-processor (special tokens) and decoder, as the
 * {@code tokenizers} library runs them. The file's own truncation and padding blocks are ignored on purpose:
 * t4j truncates and pads only when asked.
 */
public final class TokenizerJson implements Tokenizer {
    /** A token matched verbatim in the text before anything else (tokenizer.json "added_tokens"). */
    record Added(String content, int id, boolean special) {}

    /** One item of a post-processing template: a special token, or sequence A / B. */
    record TemplateItem(String special, int[] ids, String sequence, int typeId) {}

    private final String source;
    private final List<Added> added;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final Model model;
    private final List<TemplateItem> single;
    private final List<TemplateItem> pair;
    private final String decoder;
    private final String wordPiecePrefix;
    private final Map<Integer, String> idToToken = new HashMap<>();
    private final Set<Integer> specialIds = new HashSet<>();
    private final int padId;

    private TokenizerJson(String source, List<Added> added, Normalizer normalizer, PreTokenizer preTokenizer,
            Model model, List<TemplateItem> single, List<TemplateItem> pair, String decoder, String wordPiecePrefix) {
        this.source = source;
        this.added = new ArrayList<>(added);
        this.added.sort(Comparator.comparingInt((Added a) -> a.content().length()).reversed());
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.single = single;
        this.pair = pair;
        this.decoder = decoder;
        this.wordPiecePrefix = wordPiecePrefix;
        model.vocab().forEach((tok, id) -> idToToken.put(id, tok));
        for (Added a : added) {
            idToToken.put(a.id(), a.content());
            if (a.special()) {
                specialIds.add(a.id());
            }
        }
        int pad = 0;
        for (String candidate : new String[] {"[PAD]", "<pad>", "<|endoftext|>"}) {
            int id = tokenToId(candidate);
            if (id >= 0) {
                pad = id;
                break;
            }
        }
        this.padId = pad;
    }

    // ------------------------------------------------------------------------------------------ loading

    public static TokenizerJson load(Path file) {
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return fromJson(json, file.toString());
    }

    @SuppressWarnings("unchecked")
    static TokenizerJson fromJson(Map<String, Object> json, String source) {
        Map<String, Object> m = map(json.get("model"), source, "model");
        String type = String.valueOf(m.get("type"));
        Model model = switch (type) {
            case "BPE" -> {
                Map<String, Integer> vocab = vocab(map(m.get("vocab"), source, "model.vocab"));
                List<String[]> merges = new ArrayList<>();
                for (Object o : (List<Object>) m.getOrDefault("merges", List.of())) {
                    String[] p = o instanceof List<?> l ? new String[] {String.valueOf(l.get(0)), String.valueOf(l.get(1))}
                            : String.valueOf(o).split(" ", 2);
                    if (p.length != 2) {
                        throw new IllegalArgumentException(source + ": bad merge '" + o + "' in model.merges");
                    }
                    merges.add(p);
                }
                boolean byteLevel = json.get("pre_tokenizer") instanceof Map<?, ?> pt && "ByteLevel".equals(pt.get("type"));
                yield new Model.Bpe(vocab, merges, byteLevel, (String) m.get("unk_token"));
            }
            case "WordPiece" -> new Model.WordPiece(vocab(map(m.get("vocab"), source, "model.vocab")),
                    String.valueOf(m.getOrDefault("unk_token", "[UNK]")),
                    String.valueOf(m.getOrDefault("continuing_subword_prefix", "##")),
                    ((Number) m.getOrDefault("max_input_chars_per_word", 100L)).intValue());
            case "Unigram" -> {
                List<String> pieces = new ArrayList<>();
                List<Object> entries = (List<Object>) m.get("vocab");
                if (entries == null) {
                    throw new IllegalArgumentException(source + ": the Unigram model has no vocab");
                }
                double[] scores = new double[entries.size()];
                for (Object o : entries) {
                    if (!(o instanceof List<?> e) || e.size() != 2 || !(e.get(1) instanceof Number score)) {
                        throw new IllegalArgumentException(source + ": model.vocab entry " + pieces.size()
                                + " is not a [piece, score] pair: " + o);
                    }
                    scores[pieces.size()] = score.doubleValue();
                    pieces.add(String.valueOf(e.get(0)));
                }
                int unk = m.get("unk_id") instanceof Number u ? u.intValue() : -1;
                if (unk < 0 || unk >= pieces.size()) {
                    throw new IllegalArgumentException(source + ": the Unigram model's unk_id " + m.get("unk_id")
                            + " is not an index into its " + pieces.size() + " pieces");
                }
                if (Boolean.TRUE.equals(m.get("byte_fallback"))) {
                    throw new IllegalArgumentException(source + ": Unigram byte_fallback is not supported");
                }
                yield new Model.Unigram(pieces, scores, unk);
            }
            default -> throw new IllegalArgumentException(source + ": unknown tokenizer model type '" + type
                    + "' (BPE, WordPiece and Unigram are supported)");
        };
        List<Added> added = new ArrayList<>();
        for (Object o : (List<Object>) json.getOrDefault("added_tokens", List.of())) {
            Map<String, Object> a = (Map<String, Object>) o;
            added.add(new Added(String.valueOf(a.get("content")), ((Number) a.get("id")).intValue(),
                    Boolean.TRUE.equals(a.get("special"))));
        }
        Normalizer normalizer = normalizer(json.get("normalizer"), source);
        PreTokenizer pre = preTokenizer(json.get("pre_tokenizer"), source);
        List<TemplateItem> single = new ArrayList<>();
        List<TemplateItem> pairT = new ArrayList<>();
        postProcessor(json.get("post_processor"), source, model, single, pairT);
        String decoder = json.get("decoder") instanceof Map<?, ?> d ? String.valueOf(d.get("type")) : "none";
        String prefix = json.get("decoder") instanceof Map<?, ?> d && d.get("prefix") != null ? String.valueOf(d.get("prefix"))
                : "##";
        return new TokenizerJson(source, added, normalizer, pre, model, single, pairT, decoder, prefix);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String source, String field) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(source + ": field '" + field + "' is missing or not an object");
        }
        return (Map<String, Object>) o;
    }

    private static Map<String, Integer> vocab(Map<String, Object> raw) {
        Map<String, Integer> v = new HashMap<>(raw.size() * 2);
        raw.forEach((k, id) -> v.put(k, ((Number) id).intValue()));
        return v;
    }

    @SuppressWarnings("unchecked")
    private static Normalizer normalizer(Object o, String source) {
        if (o == null) {
            return null;
        }
        Map<String, Object> n = (Map<String, Object>) o;
        String type = String.valueOf(n.get("type"));
        return switch (type) {
            case "BertNormalizer" -> {
                boolean lower = !Boolean.FALSE.equals(n.get("lowercase"));
                Object strip = n.get("strip_accents");
                yield new Normalizer.Bert(!Boolean.FALSE.equals(n.get("clean_text")),
                        !Boolean.FALSE.equals(n.get("handle_chinese_chars")),
                        strip == null ? lower : Boolean.TRUE.equals(strip), lower);
            }
            case "Lowercase" -> new Normalizer.Lowercase();
            case "NFC" -> new Normalizer.Unicode(Form.NFC);
            case "NFKC" -> new Normalizer.Unicode(Form.NFKC);
            case "NFD" -> new Normalizer.Unicode(Form.NFD);
            case "NFKD" -> new Normalizer.Unicode(Form.NFKD);
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                for (Object s : (List<Object>) n.get("normalizers")) {
                    steps.add(normalizer(s, source));
                }
                yield new Normalizer.Sequence(steps);
            }
            case "Precompiled" -> {
                Object map = n.get("precompiled_charsmap");
                yield map == null || String.valueOf(map).isEmpty() ? new Normalizer.Sequence(List.of())
                        : new Normalizer.Precompiled(new Charsmap(java.util.Base64.getDecoder().decode(
                                String.valueOf(map)), source + " normalizer.precompiled_charsmap"));
            }
            case "Replace" -> {
                Map<String, Object> pattern = (Map<String, Object>) n.get("pattern");
                java.util.regex.Pattern regex = pattern.containsKey("Regex")
                        ? java.util.regex.Pattern.compile(String.valueOf(pattern.get("Regex")))
                        : java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(String.valueOf(pattern.get("String"))));
                yield new Normalizer.Replace(regex, String.valueOf(n.get("content")));
            }
            case "Strip" -> new Normalizer.Strip(!Boolean.FALSE.equals(n.get("strip_left")),
                    !Boolean.FALSE.equals(n.get("strip_right")));
            default -> throw new IllegalArgumentException(source + ": unknown normalizer type '" + type + "'");
        };
    }

    @SuppressWarnings("unchecked")
    private static PreTokenizer preTokenizer(Object o, String source) {
        if (o == null) {
            return null;
        }
        Map<String, Object> p = (Map<String, Object>) o;
        String type = String.valueOf(p.get("type"));
        return switch (type) {
            case "ByteLevel" -> {
                if (Boolean.TRUE.equals(p.get("add_prefix_space"))) {
                    throw new IllegalArgumentException(source + ": ByteLevel add_prefix_space=true is not supported yet");
                }
                yield new PreTokenizer.ByteLevel(false, !Boolean.FALSE.equals(p.get("use_regex")));
            }
            case "BertPreTokenizer" -> new PreTokenizer.Bert();
            case "WhitespaceSplit" -> new PreTokenizer.WhitespaceSplit();
            case "Metaspace" -> {
                String r = String.valueOf(p.getOrDefault("replacement", "\u2581"));
                Object scheme = p.get("prepend_scheme");
                boolean prepend = scheme != null ? !"never".equals(scheme) : !Boolean.FALSE.equals(p.get("add_prefix_space"));
                yield new PreTokenizer.Metaspace(r.charAt(0), prepend, !Boolean.FALSE.equals(p.get("split")),
                        "first".equals(scheme));
            }
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (Object step : (List<Object>) p.get("pretokenizers")) {
                    steps.add(preTokenizer(step, source));
                }
                yield new PreTokenizer.Sequence(steps);
            }
            default -> throw new IllegalArgumentException(source + ": unknown pre_tokenizer type '" + type + "'");
        };
    }

    @SuppressWarnings("unchecked")
    private static void postProcessor(Object o, String source, Model model, List<TemplateItem> single,
            List<TemplateItem> pair) {
        if (o == null) {
            return;
        }
        Map<String, Object> p = (Map<String, Object>) o;
        String type = String.valueOf(p.get("type"));
        switch (type) {
            case "ByteLevel" -> { }
            case "TemplateProcessing" -> {
                Map<String, Object> specials = (Map<String, Object>) p.getOrDefault("special_tokens", Map.of());
                template((List<Object>) p.get("single"), specials, single, source);
                template((List<Object>) p.get("pair"), specials, pair, source);
            }
            case "BertProcessing", "RobertaProcessing" -> {
                List<Object> cls = (List<Object>) p.get("cls");
                List<Object> sep = (List<Object>) p.get("sep");
                int clsId = ((Number) cls.get(1)).intValue();
                int sepId = ((Number) sep.get(1)).intValue();
                String c = String.valueOf(cls.get(0));
                String s = String.valueOf(sep.get(0));
                boolean roberta = type.equals("RobertaProcessing");
                single.add(new TemplateItem(c, new int[] {clsId}, null, 0));
                single.add(new TemplateItem(null, null, "A", 0));
                single.add(new TemplateItem(s, new int[] {sepId}, null, 0));
                pair.addAll(single);
                if (roberta) {
                    pair.add(new TemplateItem(s, new int[] {sepId}, null, 0));
                }
                pair.add(new TemplateItem(null, null, "B", roberta ? 0 : 1));
                pair.add(new TemplateItem(s, new int[] {sepId}, null, roberta ? 0 : 1));
            }
            default -> throw new IllegalArgumentException(source + ": unknown post_processor type '" + type + "'");
        }
    }

    @SuppressWarnings("unchecked")
    private static void template(List<Object> items, Map<String, Object> specials, List<TemplateItem> out, String source) {
        if (items == null) {
            return;
        }
        for (Object o : items) {
            Map<String, Object> item = (Map<String, Object>) o;
            if (item.get("SpecialToken") instanceof Map<?, ?> st) {
                String id = String.valueOf(st.get("id"));
                Map<String, Object> spec = (Map<String, Object>) specials.get(id);
                if (spec == null) {
                    throw new IllegalArgumentException(source + ": template names special token '" + id
                            + "' missing from special_tokens");
                }
                List<Object> ids = (List<Object>) spec.get("ids");
                int[] v = new int[ids.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = ((Number) ids.get(i)).intValue();
                }
                out.add(new TemplateItem(id, v, null, ((Number) st.get("type_id")).intValue()));
            } else if (item.get("Sequence") instanceof Map<?, ?> seq) {
                out.add(new TemplateItem(null, null, String.valueOf(seq.get("id")), ((Number) seq.get("type_id")).intValue()));
            }
        }
    }

    /** GPT-2's original files: vocab.json and merges.txt (byte-level BPE, no normalizer, no special tokens added). */
    public static TokenizerJson gpt2(Path vocabJson, Path mergesTxt) {
        try {
            Map<String, Object> vocab = Json.parseObject(Files.readString(vocabJson, StandardCharsets.UTF_8),
                    vocabJson.toString());
            List<Object> merges = new ArrayList<>();
            for (String line : Files.readAllLines(mergesTxt, StandardCharsets.UTF_8)) {
                if (!line.isEmpty() && !line.startsWith("#version")) {
                    merges.add(line);
                }
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", Map.of("type", "BPE", "vocab", vocab, "merges", merges));
            json.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false));
            json.put("decoder", Map.of("type", "ByteLevel"));
            Object eot = vocab.get("<|endoftext|>");
            if (eot != null) {
                json.put("added_tokens", List.of(Map.of("content", "<|endoftext|>", "id", eot, "special", true)));
            }
            return fromJson(json, vocabJson.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + vocabJson + " / " + mergesTxt + ": " + e.getMessage(), e);
        }
    }

    /** A whole tokenizer.json document in Hugging Face's key order, with no truncation or padding. */
    static Map<String, Object> document(List<Object> added, Object normalizer, Object preTokenizer, Object postProcessor,
            Object decoder, Map<String, Object> model) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        json.put("added_tokens", added);
        json.put("normalizer", normalizer);
        json.put("pre_tokenizer", preTokenizer);
        json.put("post_processor", postProcessor);
        json.put("decoder", decoder);
        json.put("model", model);
        return json;
    }

    /** One entry of tokenizer.json's added_tokens, with every field Hugging Face's loader expects. */
    static Map<String, Object> addedToken(String content, int id, boolean normalized) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("id", (long) id);
        a.put("content", content);
        a.put("single_word", false);
        a.put("lstrip", false);
        a.put("rstrip", false);
        a.put("normalized", normalized);
        a.put("special", true);
        return a;
    }

    /**
     * tokenizer.json in T5's layout: specials {@code <pad> </s> <unk>} at 0-2 and the {@code extraIds} sentinels
     * at the end of {@code pieces} as added tokens, a Unigram model (unk 2), "$A </s>" / "$A </s> $B </s>".
     */
    static Map<String, Object> t5Json(List<String> pieces, double[] scores, int extraIds, Map<String, Object> normalizer,
            Map<String, Object> preTokenizer, Map<String, Object> decoder) {
        List<Object> added = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            added.add(addedToken(pieces.get(i), i, false));
        }
        for (int i = pieces.size() - extraIds; i < pieces.size(); i++) {
            added.add(addedToken(pieces.get(i), i, false));
        }
        List<Object> vocab = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            vocab.add(List.of(pieces.get(i), scores[i]));
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "Unigram");
        model.put("unk_id", 2L);
        model.put("vocab", vocab);
        model.put("byte_fallback", false);
        Map<String, Object> eos = Map.of("SpecialToken", Map.of("id", "</s>", "type_id", 0L));
        Map<String, Object> post = new LinkedHashMap<>();
        post.put("type", "TemplateProcessing");
        post.put("single", List.of(sequence("A", 0), eos));
        post.put("pair", List.of(sequence("A", 0), eos, sequence("B", 0), eos));
        post.put("special_tokens", Map.of("</s>", Map.of("id", "</s>", "ids", List.of(1L), "tokens", List.of("</s>"))));
        return document(added, normalizer, preTokenizer, post, decoder, model);
    }

    /** BERT's post-processor: [CLS] A [SEP] and [CLS] A [SEP] B [SEP], B with token type 1. */
    static Map<String, Object> clsSepTemplate(int cls, int sep) {
        Map<String, Object> special = new LinkedHashMap<>();
        special.put("[CLS]", Map.of("id", "[CLS]", "ids", List.of((long) cls), "tokens", List.of("[CLS]")));
        special.put("[SEP]", Map.of("id", "[SEP]", "ids", List.of((long) sep), "tokens", List.of("[SEP]")));
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("type", "TemplateProcessing");
        t.put("single", List.of(token("[CLS]", 0), sequence("A", 0), token("[SEP]", 0)));
        t.put("pair", List.of(token("[CLS]", 0), sequence("A", 0), token("[SEP]", 0), sequence("B", 1), token("[SEP]", 1)));
        t.put("special_tokens", special);
        return t;
    }

    private static Map<String, Object> token(String id, long type) {
        return Map.of("SpecialToken", Map.of("id", id, "type_id", type));
    }

    private static Map<String, Object> sequence(String id, long type) {
        return Map.of("Sequence", Map.of("id", id, "type_id", type));
    }

    /** BERT's original vocab.txt (uncased unless the folder says otherwise: lowercase and strip accents). */
    public static TokenizerJson bertVocab(Path vocabTxt) {
        try {
            return fromJson(wordPieceJson(Files.readAllLines(vocabTxt, StandardCharsets.UTF_8), true, vocabTxt.toString()),
                    vocabTxt.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + vocabTxt + ": " + e.getMessage(), e);
        }
    }

    /**
     * A BERT WordPiece tokenizer.json (bert-base-uncased's layout) for a vocabulary in id order: BERT's normaliser
     * (lowercasing and accent stripping when {@code lowercase}) and words, "##" continuations, [CLS] A [SEP] (B
     * [SEP]); whichever of [PAD] [UNK] [CLS] [SEP] [MASK] the vocabulary has are special.
     */
    static Map<String, Object> wordPieceJson(List<String> tokens, boolean lowercase, String source) {
        Map<String, Object> ids = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            ids.putIfAbsent(tokens.get(i), (long) i);
        }
        if (!ids.containsKey("[CLS]") || !ids.containsKey("[SEP]")) {
            throw new IllegalArgumentException(source + ": a BERT vocabulary needs [CLS] and [SEP]");
        }
        List<Object> added = new ArrayList<>();
        for (String s : new String[] {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
            if (ids.containsKey(s)) {
                added.add(addedToken(s, ((Long) ids.get(s)).intValue(), false));
            }
        }
        Map<String, Object> normalizer = new LinkedHashMap<>();
        normalizer.put("type", "BertNormalizer");
        normalizer.put("clean_text", true);
        normalizer.put("handle_chinese_chars", true);
        normalizer.put("strip_accents", null); // follows lowercase, as BERT's
        normalizer.put("lowercase", lowercase);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "WordPiece");
        model.put("unk_token", "[UNK]");
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100L);
        model.put("vocab", ids);
        Map<String, Object> decoder = new LinkedHashMap<>();
        decoder.put("type", "WordPiece");
        decoder.put("prefix", "##");
        decoder.put("cleanup", true);
        return document(added, normalizer, Map.of("type", "BertPreTokenizer"),
                clsSepTemplate(((Long) ids.get("[CLS]")).intValue(), ((Long) ids.get("[SEP]")).intValue()), decoder, model);
    }

    // ------------------------------------------------------------------------------------------ encoding

    private record Piece(int id, String token, int start, int end) {}

    private List<Piece> encodeSequence(String text) {
        List<Piece> out = new ArrayList<>();
        int segmentStart = 0;
        int i = 0;
        while (i <= text.length()) {
            Added match = i < text.length() ? addedAt(text, i) : null;
            if (match != null || i == text.length()) {
                if (i > segmentStart) {
                    encodeSegment(text.substring(segmentStart, i), segmentStart, out);
                }
                if (match == null) {
                    break;
                }
                out.add(new Piece(match.id(), match.content(), i, i + match.content().length()));
                i += match.content().length();
                segmentStart = i;
            } else {
                i++;
            }
        }
        return out;
    }

    private Added addedAt(String text, int i) {
        for (Added a : added) {
            if (text.startsWith(a.content(), i)) {
                return a;
            }
        }
        return null;
    }

    private void encodeSegment(String segment, int offset, List<Piece> out) {
        Text t = Text.of(segment, offset);
        if (normalizer != null) {
            t = normalizer.apply(t);
        }
        List<PreTokenizer.Word> words = preTokenizer == null ? List.of(new PreTokenizer.Word(t.chars(), 0, t.chars().length()))
                : preTokenizer.split(t);
        for (PreTokenizer.Word w : words) {
            if (w.text().isEmpty()) {
                continue;
            }
            for (Model.Token tok : model.tokenize(w.text())) {
                int[] span = t.span(w.start() + Math.max(0, tok.start() - w.lead()), w.start() + Math.max(0, tok.end() - w.lead()));
                out.add(new Piece(tok.id(), tok.value(), span[0], span[1]));
            }
        }
    }

    @Override
    public Encoding encode(String text, String pairText, boolean addSpecialTokens) {
        if (text == null) {
            throw new IllegalArgumentException("cannot encode null text");
        }
        List<Piece> a = encodeSequence(text);
        List<Piece> b = pairText == null ? null : encodeSequence(pairText);
        List<Piece> pieces = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        List<TemplateItem> template = b == null ? single : pair;
        if (!addSpecialTokens || template.isEmpty()) {
            pieces.addAll(a);
            a.forEach(x -> types.add(0));
            if (b != null) {
                pieces.addAll(b);
                b.forEach(x -> types.add(1));
            }
        } else {
            for (TemplateItem item : template) {
                if (item.sequence() == null) {
                    for (int id : item.ids()) {
                        pieces.add(new Piece(id, item.special(), -1, -1));
                        types.add(item.typeId());
                    }
                } else {
                    List<Piece> seq = item.sequence().equals("A") ? a : b;
                    pieces.addAll(seq);
                    seq.forEach(x -> types.add(item.typeId()));
                }
            }
        }
        int n = pieces.size();
        int[] ids = new int[n];
        String[] tokens = new String[n];
        int[] typeIds = new int[n];
        int[] mask = new int[n];
        int[][] offsets = new int[n][];
        for (int i = 0; i < n; i++) {
            Piece p = pieces.get(i);
            ids[i] = p.id();
            tokens[i] = p.token();
            typeIds[i] = types.get(i);
            mask[i] = 1;
            offsets[i] = new int[] {p.start(), p.end()};
        }
        return new Encoding(ids, tokens, typeIds, mask, offsets);
    }

    // ------------------------------------------------------------------------------------------ decoding

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>();
        for (int id : ids) {
            if (skipSpecialTokens && specialIds.contains(id)) {
                continue;
            }
            tokens.add(idToToken(id));
        }
        return switch (decoder) {
            case "ByteLevel" -> byteLevelDecode(tokens);
            case "WordPiece" -> wordPieceDecode(tokens);
            case "Metaspace" -> {
                String text = String.join("", tokens).replace('\u2581', ' ');
                yield text.startsWith(" ") ? text.substring(1) : text;
            }
            default -> String.join(" ", tokens);
        };
    }

    private String byteLevelDecode(List<String> tokens) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        StringBuilder out = new StringBuilder();
        for (String t : tokens) {
            if (added.stream().anyMatch(a -> a.content().equals(t))) {
                out.append(utf8(bytes.toByteArray()));
                bytes.reset();
                out.append(t);
                continue;
            }
            for (char c : t.toCharArray()) {
                int b = c < ByteLevelAlphabet.CHAR_TO_BYTE.length ? ByteLevelAlphabet.CHAR_TO_BYTE[c] : -1;
                if (b < 0) {
                    out.append(utf8(bytes.toByteArray()));
                    bytes.reset();
                    out.append(c);
                } else {
                    bytes.write(b);
                }
            }
        }
        return out.append(utf8(bytes.toByteArray())).toString();
    }

    /** UTF-8 with invalid sequences replaced by U+FFFD, as the Rust decoder's from_utf8_lossy. */
    private static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private String wordPieceDecode(List<String> tokens) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (i > 0 && t.startsWith(wordPiecePrefix)) {
                sb.append(t.substring(wordPiecePrefix.length()));
            } else {
                if (i > 0) {
                    sb.append(' ');
                }
                sb.append(t);
            }
        }
        return sb.toString().replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    // ------------------------------------------------------------------------------------------ vocabulary

    @Override
    public int vocabSize() {
        return idToToken.size();
    }

    @Override
    public int tokenToId(String token) {
        for (Added a : added) {
            if (a.content().equals(token)) {
                return a.id();
            }
        }
        Integer id = model.vocab().get(token);
        return id == null ? -1 : id;
    }

    @Override
    public String idToToken(int id) {
        String t = idToToken.get(id);
        if (t == null) {
            throw new IllegalArgumentException(source + ": id " + id + " is not in the vocabulary of " + vocabSize());
        }
        return t;
    }

    @Override
    public int padId() {
        return padId;
    }
}
