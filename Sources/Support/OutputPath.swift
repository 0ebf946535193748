import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a result may be written. HubMiner writes results only to regular files,
/// atomically (a temporary file renamed over the target): renaming over a device
/// node, a FIFO or a socket would replace it with a regular file (as root,
/// `--output /dev/null` would replace the system's), and renaming over a symbolic
/// link would replace the link, not the file it points at. Both are refused, never
/// followed, so what is written is always exactly the path given.
public enum OutputPath {
    /// Why `url` cannot receive a result file, or nil when it is absent or a regular
    /// file. `lstat`, not `stat`: a symbolic link is judged as itself.
    public static func kindProblem(_ url: URL) -> String? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFLNK: return "is a symbolic link; HubMiner writes only regular files and does not follow links (give the link's target)"
        case S_IFDIR: return "is a directory, not a file"
        case S_IFCHR, S_IFBLK: return "is a device node; HubMiner writes only regular files"
        case S_IFIFO: return "is a FIFO (named pipe); HubMiner writes only regular files"
        case S_IFSOCK: return "is a socket; HubMiner writes only regular files"
        default: return "is not a regular file"
        }
    }

    /// The absolute path with every symbolic link and `.`/`..` resolved, for the
    /// longest prefix of `url` that exists (the rest appended as given), so a path
    /// that does not exist yet compares correctly with existing folders.
    public static func resolved(_ url: URL) -> String {
        var existing = url.standardizedFileURL
        var rest = [String]()
        while existing.path != "/" {
            if let real = realpath(existing.path, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return rest.reversed().reduce(base) { ($0 == "/" ? "" : $0) + "/" + $1 }
            }
            rest.append(existing.lastPathComponent)
            existing = existing.deletingLastPathComponent()
        }
        return "/" + rest.reversed().joined(separator: "/")
    }

    /// Whether `a` and `b` are the same existing file (same device and inode: hard
    /// links and links through other paths included).
    public static func sameFile(_ a: URL, _ b: URL) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a.path, &sa) == 0, stat(b.path, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Whether `url` is `folder` itself or lies anywhere below it, by resolved paths.
    public static func isInside(_ url: URL, folder: URL) -> Bool {
        let path = resolved(url), root = resolved(folder)
        return path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
    }

    /// Whether `url` names an existing directory (links followed).
    public static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
