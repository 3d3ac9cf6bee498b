package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The stand-in device's guard zones catch a write past either end of a buffer, as the emulated tests rely on. */
class HostMemoryDeviceTest {
    @Test
    void guardZonesCatchWritesOutsideABuffer() {
        RecordingDevice device = new RecordingDevice();
        long ptr = device.alloc(100); // rounded up to 104 bytes
        HostMemoryDevice.at(ptr, 104).fill((byte) 7); // the whole buffer: fine
        assertThatCode(() -> device.checkGuards("a fill")).doesNotThrowAnyException();
        HostMemoryDevice.at(ptr + 110, 1).fill((byte) 7);
        assertThatThrownBy(() -> device.checkGuards("kernel k")).hasMessageContaining("kernel k wrote outside")
                .hasMessageContaining("after its end, at byte 110");
        RecordingDevice second = new RecordingDevice();
        long other = second.alloc(8);
        HostMemoryDevice.at(other - 3, 1).fill((byte) 7);
        assertThatThrownBy(() -> second.checkGuards("x")).hasMessageContaining("before its start");
    }
}
