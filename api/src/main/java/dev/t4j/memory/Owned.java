package dev.t4j.memory;

/** Something whose memory is a {@link Storage} owned by a scope (a tensor). */
public interface Owned {
    Storage storage();
}
