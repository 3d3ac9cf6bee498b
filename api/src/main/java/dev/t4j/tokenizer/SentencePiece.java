package dev.t4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece Unigram model read from its protobuf file (T5's spiece.model), parsed here without a protobuf
 * library: the pieces with their scores and types, the normalizer (the precompiled character map, a darts-clone
 * double-array trie, plus dummy-prefix and whitespace rules) and the special ids. Encoding is SentencePiece's:
 * normalise, then the Viterbi path of highest total score over the pieces (float32 scores, as the C++ code).
 * As Hugging Face's T5Tokenizer, it appends {@code </s>} and knows the 100 sentinels {@code <extra_id_0>} ...
 * {@code <extra_id_99>} after the vocabulary (extra_id_0 last).
 */
public final class SentencePiece implements Tokenizer {
    static final String SPACE = "\u2581";
    private static final float UNK_PENALTY = 10f;

    private final String source;
    private final String[] pieces;
    private final float[] scores;
    private final int[] types; // 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte
    private final PieceTrie trie;
    private final int[] pieceBytes; // UTF-8 length of each piece, for the offsets
    private final float minScore;
    private final float maxScore;
    private final int unkId;
    private final int eosId;
    private final int padId;
    private final Charsmap charsmap; // null: no normalisation map
    private final byte[] charsmapBlob; // as stored, for tokenizer.json
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final int extraIds;

    private SentencePiece(String source, List<String> pieces, List<Float> scores, List<Integer> types, int unkId,
            int eosId, int padId, byte[] charsmap, boolean addDummyPrefix, boolean removeExtra, boolean escape,
            int extraIds) {
        this.source = source;
        this.pieces = pieces.toArray(new String[0]);
        this.scores = new float[scores.size()];
        this.types = new int[types.size()];
        int chars = 0;
        for (String p : this.pieces) {
            chars += p.length();
        }
        this.trie = new PieceTrie(chars);
        this.pieceBytes = new int[this.pieces.length];
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < this.pieces.length; i++) {
            this.scores[i] = scores.get(i);
            this.types[i] = types.get(i);
            if (this.types[i] == 1 || this.types[i] == 4 || this.types[i] == 2) {
                trie.add(this.pieces[i], i);
            }
            if (this.types[i] == 1) {
                min = Math.min(min, this.scores[i]);
                max = Math.max(max, this.scores[i]);
            }
            pieceBytes[i] = this.pieces[i].getBytes(StandardCharsets.UTF_8).length;
        }
        this.minScore = min;
        this.maxScore = max;
        this.unkId = unkId;
        this.eosId = eosId;
        this.padId = padId;
        this.charsmap = charsmap != null && charsmap.length >= 4 ? new Charsmap(charsmap, source) : null;
        this.charsmapBlob = charsmap;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespaces = removeExtra;
        this.escapeWhitespaces = escape;
        this.extraIds = extraIds;
    }

    // ------------------------------------------------------------------------------------------ protobuf

    static SentencePiece load(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String src = file.toString();
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        int[] special = {2, 1, 0}; // unk, eos, pad: SentencePiece's defaults are 0, 2, -1; T5's file sets them
        boolean[] flags = {true, true, true};
        byte[][] charsmap = {null};
        int[] modelType = {1};
        Proto.read(data, src, (field, wire, value, bytes) -> {
            switch (field) {
                case 1 -> {
                    String[] piece = {""};
                    float[] score = {0};
                    int[] type = {1};
                    Proto.read(bytes, src + " (piece " + pieces.size() + ")", (f, w, v, b) -> {
                        if (f == 1) {
                            piece[0] = new String(b, StandardCharsets.UTF_8);
                        } else if (f == 2) {
                            score[0] = Float.intBitsToFloat((int) v);
                        } else if (f == 3) {
                            type[0] = (int) v;
                        }
                    });
                    pieces.add(piece[0]);
                    scores.add(score[0]);
                    types.add(type[0]);
                }
                case 2 -> Proto.read(bytes, src + " (trainer_spec)", (f, w, v, b) -> {
                    switch (f) {
                        case 3 -> modelType[0] = (int) v;
                        case 40 -> special[0] = (int) v;
                        case 42 -> special[1] = (int) v;
                        case 43 -> special[2] = (int) v;
                        default -> { }
                    }
                });
                case 3 -> Proto.read(bytes, src + " (normalizer_spec)", (f, w, v, b) -> {
                    switch (f) {
                        case 2 -> charsmap[0] = b;
                        case 3 -> flags[0] = v != 0;
                        case 4 -> flags[1] = v != 0;
                        case 5 -> flags[2] = v != 0;
                        default -> { }
                    }
                });
                default -> { }
            }
        });
        if (modelType[0] != 1) {
            throw new IllegalArgumentException(src + ": SentencePiece model type " + modelType[0] + " is not supported "
                    + "(only Unigram, type 1)");
        }
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException(src + ": no pieces: not a SentencePiece model");
        }
        return new SentencePiece(src, pieces, scores, types, special[0], special[1], special[2], charsmap[0], flags[0],
                flags[1], flags[2], 100);
    }

    /** A minimal protobuf wire-format reader: varints, 32/64-bit and length-delimited fields. */
    static final class Proto {
        interface Field {
            void accept(int field, int wire, long value, byte[] bytes);
        }

        static void read(byte[] b, String where, Field f) {
            int[] i = {0};
            while (i[0] < b.length) {
                long key = varint(b, i, where);
                int field = (int) (key >>> 3);
                int wire = (int) (key & 7);
                switch (wire) {
                    case 0 -> f.accept(field, wire, varint(b, i, where), null);
                    case 1 -> {
                        need(b, i[0], 8, where);
                        long v = ByteBuffer.wrap(b, i[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                        i[0] += 8;
                        f.accept(field, wire, v, null);
                    }
                    case 2 -> {
                        int len = (int) varint(b, i, where);
                        need(b, i[0], len, where);
                        f.accept(field, wire, 0, java.util.Arrays.copyOfRange(b, i[0], i[0] + len));
                        i[0] += len;
                    }
                    case 5 -> {
                        need(b, i[0], 4, where);
                        int v = ByteBuffer.wrap(b, i[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                        i[0] += 4;
                        f.accept(field, wire, v & 0xffffffffL, null);
                    }
                    default -> throw new IllegalArgumentException(where + ": corrupt protobuf: wire type " + wire
                            + " at byte " + i[0]);
                }
            }
        }

        private static void need(byte[] b, int at, int n, String where) {
            if (n < 0 || at + n > b.length) {
                throw new IllegalArgumentException(where + ": truncated protobuf: " + n + " bytes needed at byte " + at
                        + " of " + b.length);
            }
        }

        private static long varint(byte[] b, int[] i, String where) {
            long r = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(b, i[0], 1, where);
                int c = b[i[0]++] & 0xff;
                r |= (long) (c & 0x7f) << shift;
                if (c < 0x80) {
                    return r;
                }
            }
            throw new IllegalArgumentException(where + ": corrupt protobuf varint at byte " + i[0]);
        }
    }

    // ------------------------------------------------------------------------------------------ normalisation

    /** Normalised UTF-8 text and, per output byte, the input char it came from. */
    record Normalized(String text, int[] origin) {}

    Normalized normalize(String input, int charOffset) {
        byte[] in = input.getBytes(StandardCharsets.UTF_8);
        int[] byteToChar = new int[in.length + 1];
        for (int c = 0, b = 0; c < input.length(); ) {
            int cp = input.codePointAt(c);
            int n = utf8Length(cp);
            for (int k = 0; k < n; k++) {
                byteToChar[b++] = charOffset + c;
            }
            c += Character.charCount(cp);
        }
        byteToChar[in.length] = charOffset + input.length();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> origin = new ArrayList<>();
        int pos = 0;
        if (removeExtraWhitespaces) {
            while (pos < in.length) {
                byte[][] p = normalizePrefix(in, pos);
                if (!(p[0].length == 1 && p[0][0] == ' ')) {
                    break;
                }
                pos += p[1][0];
            }
        }
        if (pos >= in.length) {
            return new Normalized("", new int[0]);
        }
        byte[] space = escapeWhitespaces ? SPACE.getBytes(StandardCharsets.UTF_8) : new byte[] {' '};
        if (addDummyPrefix) {
            for (byte s : space) {
                out.write(s);
                origin.add(byteToChar[pos]);
            }
        }
        boolean prevSpace = removeExtraWhitespaces;
        while (pos < in.length) {
            byte[][] p = normalizePrefix(in, pos);
            byte[] sp = p[0];
            int start = 0;
            if (prevSpace && removeExtraWhitespaces) {
                while (start < sp.length && sp[start] == ' ') {
                    start++;
                }
            }
            if (start < sp.length) {
                for (int k = start; k < sp.length; k++) {
                    if (escapeWhitespaces && sp[k] == ' ') {
                        for (byte s : space) {
                            out.write(s);
                            origin.add(byteToChar[pos]);
                        }
                    } else {
                        out.write(sp[k]);
                        origin.add(byteToChar[pos]);
                    }
                }
                prevSpace = sp[sp.length - 1] == ' ';
            }
            pos += p[1][0];
            if (!removeExtraWhitespaces) {
                prevSpace = false;
            }
        }
        byte[] bytes = out.toByteArray();
        int len = bytes.length;
        if (removeExtraWhitespaces) {
            while (len >= space.length && java.util.Arrays.equals(bytes, len - space.length, len, space, 0, space.length)) {
                len -= space.length;
            }
        }
        int[] o = new int[len];
        for (int k = 0; k < len; k++) {
            o[k] = origin.get(k);
        }
        return new Normalized(new String(bytes, 0, len, StandardCharsets.UTF_8), o);
    }

    private static int utf8Length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    /** The replacement for the longest charsmap match at {@code pos} and the bytes it consumes: {out, {n}}. */
    private byte[][] normalizePrefix(byte[] in, int pos) {
        if (charsmap != null) {
            int[] match = charsmap.prefixMatch(in, pos, true);
            if (match != null) {
                return new byte[][] {charsmap.replacement(match[1]), {(byte) match[0]}};
            }
        }
        int n = validUtf8Length(in, pos);
        if (n == 0) {
            return new byte[][] {"\uFFFD".getBytes(StandardCharsets.UTF_8), {1}};
        }
        return new byte[][] {java.util.Arrays.copyOfRange(in, pos, pos + n), {(byte) n}};
    }

    private static int validUtf8Length(byte[] in, int pos) {
        int c = in[pos] & 0xff;
        int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || pos + n > in.length) {
            return 0;
        }
        for (int k = 1; k < n; k++) {
            if ((in[pos + k] & 0xc0) != 0x80) {
                return 0;
            }
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------ Viterbi

    /** Piece ids of a normalised text: the path of highest total score; unknown chars become unk. */
    int[] viterbi(String text) {
        int[] cps = text.codePoints().toArray();
        int n = cps.length;
        int[] charStart = new int[n + 1];
        int[] cpAt = new int[text.length() + 1]; // code-point index of each char boundary
        for (int i = 0, at = 0; i < n; i++) {
            charStart[i] = at;
            cpAt[at] = i;
            at += Character.charCount(cps[i]);
            charStart[i + 1] = at;
        }
        cpAt[text.length()] = n;
        float[] best = new float[n + 1];
        int[] bestId = new int[n + 1];
        int[] bestStart = new int[n + 1];
        java.util.Arrays.fill(bestStart, -1);
        float unkScore = minScore - UNK_PENALTY;
        boolean[] single = new boolean[1];
        for (int i = 0; i < n; i++) {
            if (i > 0 && bestStart[i] == -1) {
                continue;
            }
            int from = i;
            float here = best[i];
            single[0] = false;
            trie.matches(text, charStart[i], (end, id) -> {
                if (end < text.length() && Character.isLowSurrogate(text.charAt(end)) || types[id] == 2) {
                    return; // ends inside a surrogate pair, or the unknown piece itself
                }
                int j = cpAt[end];
                // As the C++ code: the score expression is a double (the user-defined branch's -0.1 makes it one), so
                // the candidate sum is a double compared against the stored float; equal-looking paths differ by it.
                double candidate = types[id] == 4 ? ((j - from) * (double) maxScore - 0.1) + here
                        : (double) scores[id] + here;
                if (bestStart[j] == -1 || candidate > best[j]) {
                    best[j] = (float) candidate;
                    bestId[j] = id;
                    bestStart[j] = from;
                }
                single[0] |= j == from + 1;
            });
            if (!single[0]) {
                float candidate = unkScore + here;
                if (bestStart[i + 1] == -1 || candidate > best[i + 1]) {
                    best[i + 1] = candidate;
                    bestId[i + 1] = unkId;
                    bestStart[i + 1] = i;
                }
            }
        }
        List<Integer> ids = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        for (int at = n; at > 0; at = bestStart[at]) {
            ids.add(bestId[at]);
            starts.add(bestStart[at]);
        }
        java.util.Collections.reverse(ids);
        java.util.Collections.reverse(starts);
        // SentencePiece merges a run of unknown characters into one unk piece
        List<Integer> merged = new ArrayList<>();
        for (int k = 0; k < ids.size(); k++) {
            if (ids.get(k) == unkId && !merged.isEmpty() && merged.getLast() == unkId) {
                continue;
            }
            merged.add(ids.get(k));
        }
        int[] out = new int[merged.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = merged.get(k);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ tokenizer.json

    /**
     * This model as Hugging Face's converter (convert_slow_tokenizer.py, T5Converter) writes it to tokenizer.json: the
     * "Precompiled" normalizer with this file's character map, WhitespaceSplit then Metaspace, the pieces and scores as
     * a Unigram model, the sentinels as added tokens. Hugging Face tokenizers reading it gives the ids t4j gives
     * reading it (tested); both can differ from SentencePiece's own on rare inputs, as Hugging Face's fast T5 does.
     */
    public Map<String, Object> tokenizerJson() {
        List<String> all = new ArrayList<>(List.of(pieces));
        double[] s = new double[pieces.length + extraIds];
        for (int i = 0; i < pieces.length; i++) {
            s[i] = scores[i];
        }
        for (int id = pieces.length; id < pieces.length + extraIds; id++) {
            all.add(extraId(id));
        }
        Map<String, Object> normalizer = new LinkedHashMap<>();
        normalizer.put("type", "Precompiled");
        normalizer.put("precompiled_charsmap", charsmapBlob == null ? null
                : java.util.Base64.getEncoder().encodeToString(charsmapBlob));
        Map<String, Object> metaspace = new LinkedHashMap<>();
        metaspace.put("type", "Metaspace");
        metaspace.put("replacement", SPACE);
        metaspace.put("add_prefix_space", addDummyPrefix);
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("type", "Sequence");
        pre.put("pretokenizers", List.of(Map.of("type", "WhitespaceSplit"), metaspace));
        return TokenizerJson.t5Json(all, s, extraIds, normalizer, pre, metaspace);
    }

    /** Writes {@link #tokenizerJson} atomically. */
    public void writeTokenizerJson(Path file) {
        dev.t4j.io.AtomicFile.writeString(file, dev.t4j.json.Json.write(tokenizerJson()));
    }

    // ------------------------------------------------------------------------------------------ Tokenizer

    private String extraId(int id) {
        int k = pieces.length + extraIds - 1 - id;
        return "<extra_id_" + k + ">";
    }

    private int extraIdOf(String text, int at, int[] length) {
        if (!text.startsWith("<extra_id_", at)) {
            return -1;
        }
        int close = text.indexOf('>', at);
        if (close < 0) {
            return -1;
        }
        try {
            int k = Integer.parseInt(text.substring(at + 10, close));
            if (k < 0 || k >= extraIds) {
                return -1;
            }
            length[0] = close + 1 - at;
            return pieces.length + extraIds - 1 - k;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public Encoding encode(String text, String pair, boolean addSpecialTokens) {
        List<int[]> tokens = new ArrayList<>(); // {id, start, end}
        encodeInto(text, tokens);
        if (addSpecialTokens) {
            tokens.add(new int[] {eosId, -1, -1});
        }
        int firstLength = tokens.size();
        if (pair != null) {
            encodeInto(pair, tokens);
            if (addSpecialTokens) {
                tokens.add(new int[] {eosId, -1, -1});
            }
        }
        int n = tokens.size();
        int[] ids = new int[n];
        String[] strs = new String[n];
        int[] typeIds = new int[n];
        int[] mask = new int[n];
        int[][] offsets = new int[n][];
        for (int i = 0; i < n; i++) {
            ids[i] = tokens.get(i)[0];
            strs[i] = idToToken(ids[i]);
            mask[i] = 1;
            offsets[i] = new int[] {tokens.get(i)[1], tokens.get(i)[2]};
        }
        return new Encoding(ids, strs, typeIds, mask, offsets);
    }

    private void encodeInto(String text, List<int[]> out) {
        int start = 0;
        int[] len = new int[1];
        for (int i = 0; i <= text.length(); i++) {
            int extra = i < text.length() ? extraIdOf(text, i, len) : -1;
            if (extra >= 0 || i == text.length()) {
                if (i > start) {
                    encodeSegment(text.substring(start, i), start, out);
                }
                if (extra >= 0) {
                    out.add(new int[] {extra, i, i + len[0]});
                    i += len[0] - 1;
                    start = i + 1;
                }
            }
        }
    }

    private void encodeSegment(String segment, int offset, List<int[]> out) {
        Normalized norm = normalize(segment, offset);
        int[] ids = viterbi(norm.text());
        int byteAt = 0;
        for (int id : ids) {
            int bytes = id == unkId ? -1 : pieceBytes[id];
            int startChar = byteAt < norm.origin().length ? norm.origin()[byteAt] : offset + segment.length();
            if (bytes < 0) {
                bytes = 0; // unknown run: covers up to the next piece; offsets approximate it by one char
                bytes = Character.toString(norm.text().codePointAt(
                        new String(norm.text().getBytes(StandardCharsets.UTF_8), 0, byteAt, StandardCharsets.UTF_8).length()))
                        .getBytes(StandardCharsets.UTF_8).length;
            }
            byteAt += bytes;
            int endChar = byteAt <= norm.origin().length && byteAt > 0 ? norm.origin()[byteAt - 1] + 1 : startChar;
            out.add(new int[] {id, startChar, endChar});
        }
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            boolean special = id >= pieces.length || (id < pieces.length && types[id] == 3);
            if (skipSpecialTokens && special) {
                continue;
            }
            sb.append(idToToken(id));
        }
        String s = sb.toString().replace(SPACE, " ");
        return s.startsWith(" ") ? s.substring(1) : s;
    }

    @Override
    public int vocabSize() {
        return pieces.length + extraIds;
    }

    @Override
    public int tokenToId(String token) {
        int[] len = new int[1];
        int extra = extraIdOf(token, 0, len);
        if (extra >= 0 && len[0] == token.length()) {
            return extra;
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i].equals(token)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String idToToken(int id) {
        if (id >= 0 && id < pieces.length) {
            return pieces[id];
        }
        if (id >= pieces.length && id < pieces.length + extraIds) {
            return extraId(id);
        }
        throw new IllegalArgumentException(source + ": id " + id + " is outside the vocabulary of " + vocabSize());
    }

    @Override
    public int padId() {
        return padId;
    }

    public int eosId() {
        return eosId;
    }
}
