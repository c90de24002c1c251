import Foundation

/// Why a file or directory could not be read or written, as the system says
/// it ("Is a directory", "Permission denied"): Foundation on Linux words most
/// of these "The operation could not be completed", naming nothing.
public enum FileProblem {
    /// Why `path` cannot be read as a file (`No such file or directory`,
    /// `Permission denied`, `it is a directory`), or nil when it can.
    /// Never opens it: opening a named pipe would wait for a writer.
    public static func unreadable(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return String(cString: strerror(errno)) }
        if status.st_mode & S_IFMT == S_IFDIR { return "it is a directory" }
        guard access(path, R_OK) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }

    /// Whether `path` is neither a regular file nor a directory: a pipe
    /// (`<(…)`, /dev/stdin) or a device, which can be read only once.
    public static func isStream(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let kind = status.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }

    public static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        // Foundation's own file errors carry no errno on Linux: name the one each stands for.
        if error.domain == NSCocoaErrorDomain, let code = cocoaErrno[error.code] { return String(cString: strerror(code)) }
        return error.localizedDescription
    }

    /// `CocoaError` file codes and the errno each stands for.
    private static let cocoaErrno: [Int: Int32] = [
        CocoaError.fileNoSuchFile.rawValue: ENOENT, CocoaError.fileReadNoSuchFile.rawValue: ENOENT,
        CocoaError.fileReadNoPermission.rawValue: EACCES, CocoaError.fileWriteNoPermission.rawValue: EACCES,
        CocoaError.fileWriteOutOfSpace.rawValue: ENOSPC, CocoaError.fileWriteVolumeReadOnly.rawValue: EROFS,
        CocoaError.fileWriteFileExists.rawValue: EEXIST,
    ]
}
