import Foundation

/// Writes a file the user named (`plan --out`, `--sarif`): atomically when
/// it is, or will be, a regular file, so a reader never sees half of it; as
/// a stream when it is a device, a FIFO or a socket (`--out /dev/stdout`),
/// which an atomic write would replace with a regular file (as root, the
/// device node itself).
public enum OutputFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG else {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            return
        }
        guard status.st_mode & S_IFMT != S_IFDIR else { throw POSIXError(.EISDIR) }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        // A reader that stopped early (`--out /dev/stdout | head`) chose to, as on stdout itself.
        if let failed = writeAll(bytes, to: fd), failed != EPIPE { throw POSIXError(POSIXErrorCode(rawValue: failed) ?? .EIO) }
    }

    /// Writes all of `bytes` to `fd`, through interruptions and, on a
    /// non-blocking descriptor (a CI runner's stdout), waits for room; the
    /// `errno` of the write that failed, or nil.
    public static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32? {
        var rest = bytes[...]
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK:
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                case let failed: return failed
                }
            }
            rest = rest.dropFirst(written)
        }
        return nil
    }
}
