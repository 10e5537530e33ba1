import Foundation
import Glibc

/// Runs a program to completion with `posix_spawn` and `waitpid`.
///
/// Foundation's `Process` can miss a child's exit when the calling thread has no run loop (test
/// runners), and a pipe to a program that daemonises (`pg_ctl start`) never reaches end-of-file while
/// the daemon holds it. So output goes to a temporary file, and the child starts with an empty signal
/// mask and default dispositions, whatever the calling thread blocks.
public enum Subprocess {
    /// The exit status and the combined standard output and error.
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs `arguments[0]` (an absolute path) with the rest as its arguments; standard input is /dev/null.
    public static func run(_ arguments: [String]) throws -> Result {
        precondition(!arguments.isEmpty)
        var template = Array("/tmp/gs-subprocess-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SubprocessError(message: "mkstemp: \(String(cString: strerror(errno)))") }
        let outputPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(fd); unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in cArguments { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, &attributes, &cArguments, environ)
        guard rc == 0 else { throw SubprocessError(message: "cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SubprocessError(message: "waitpid: \(String(cString: strerror(errno)))") }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, which Swift does not import as functions.
        let exited = status & 0x7f == 0
        return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: output)
    }
}

/// A program could not be started or waited for.
public struct SubprocessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
