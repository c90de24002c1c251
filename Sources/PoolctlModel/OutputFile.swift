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
        var rest = bytes[...]
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            rest = rest.dropFirst(written)
        }
    }
}
