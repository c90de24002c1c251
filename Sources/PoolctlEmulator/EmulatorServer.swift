import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import ServiceLifecycle
import Synchronization

/// Runs the emulator over HTTP.
public enum EmulatorServer {
    /// Serves until cancelled or until SIGINT/SIGTERM (graceful shutdown).
    /// `onListening` gets the base URL (`http://host:port`, the real port
    /// when `port` is 0) once the socket is bound. Throws when the options
    /// are invalid (`EmulatorConfigurationError`) or the address cannot be bound.
    /// `logger` defaults to stderr at `.critical` (Hummingbird logs benign
    /// errors while shutting down).
    public static func run(
        _ configuration: EmulatorConfiguration,
        store: EmulatorStore,
        logger: Logger? = nil,
        onListening: @escaping @Sendable (String) -> Void
    ) async throws {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw EmulatorConfigurationError(problems: problems) }
        // Only an error before the socket is bound is a listen failure; later ones are reported as they are.
        let listening = ListeningFlag()
        let app = makeEmulatorApplication(configuration, store: store, logger: logger) { url in
            listening.set()
            onListening(url)
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: [app],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: app.logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        // Cancelling the caller shuts the server down gracefully (in-flight
        // requests finish) rather than tearing connections down.
        let serving = Task { try await group.run() }
        do {
            try await withTaskCancellationHandler {
                try await serving.value
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        } catch let error as IOError where !listening.isSet {
            throw EmulatorListenError(address: "\(configuration.host):\(configuration.port)", errno: error.errnoCode)
        }
    }

    /// `http://host:port` for a listen address (an IPv6 host in brackets).
    static func baseURL(host: String, port: Int) -> String {
        "http://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(port)"
    }
}

/// Set once the server listens.
private final class ListeningFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// The address could not be listened on (NIO's own text names a syscall and
/// has unbalanced parentheses).
public struct EmulatorListenError: Error, Sendable, CustomStringConvertible {
    public var address: String
    public var errno: Int32

    public var description: String {
        let reason = String(cString: strerror(errno))
        switch errno {
        case EADDRINUSE: return "cannot listen on \(address): \(reason) (another emulator?); pick another --port, or 0 for a free one"
        case EADDRNOTAVAIL: return "cannot listen on \(address): \(reason): --host must be an address of this machine"
        default: return "cannot listen on \(address): \(reason)"
        }
    }
}

/// Invalid emulator options.
public struct EmulatorConfigurationError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// The emulator's responder (routing included), for tests and custom servers.
public func makeEmulatorRouter(_ configuration: EmulatorConfiguration, store: EmulatorStore) -> EmulatorResponder {
    EmulatorResponder(configuration: configuration, store: store)
}

/// A Hummingbird application serving the emulator on `configuration.host`
/// and `configuration.port`. Usable with HummingbirdTesting
/// (`app.test(.router)`, `.live`) or run as a `Service`.
public func makeEmulatorApplication(
    _ configuration: EmulatorConfiguration,
    store: EmulatorStore,
    logger: Logger? = nil,
    onListening: @escaping @Sendable (String) -> Void = { _ in }
) -> Application<EmulatorResponder> {
    let responder = EmulatorResponder(configuration: configuration, store: store)
    let logger =
        logger
        ?? {
            var logger = Logger(label: "poolctl.emulator", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = .critical
            return logger
        }()
    // Hummingbird sets `Date` on every response after the responder; under
    // date-header=absent a handler takes it off again on the way out.
    let server: HTTPServerBuilder =
        configuration.behaviors.dateHeader == .absent
        ? .http1(configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [DropDateHeader()])) : .http1()
    return Application(
        responder: responder,
        server: server,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: nil
        ),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            let url = EmulatorServer.baseURL(host: configuration.host, port: port)
            responder.setListenOrigin(url)
            await store.setOrigin(url)
            onListening(url)
        },
        logger: logger
    )
}

/// `date-header=absent`: removes `Date` from every response head.
final class DropDateHeader: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var part = unwrapOutboundIn(data)
        if case .head(var head) = part {
            head.headerFields[.date] = nil
            part = .head(head)
        }
        context.write(wrapOutboundOut(part), promise: promise)
    }
}
