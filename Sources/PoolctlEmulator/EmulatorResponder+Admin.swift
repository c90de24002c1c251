import Hummingbird

/// `/_emulator/…`: the state, a reset, the request log and the write log.
/// No auth, never faulted, not logged.
extension EmulatorResponder {
    func handleAdmin(_ admin: Route.AdminPath) async -> Response {
        switch admin {
        case .state:
            return ResponseEncoding.plain.json(200, await store.state())
        case .reset:
            await store.reset()
            faults.reset()
            log.reset()
            return ResponseEncoding.plain.json(200, ["reset": true])
        case .requests:
            return ResponseEncoding.plain.json(200, requestLog)
        case .writes:
            return ResponseEncoding.plain.json(200, await store.writes())
        }
    }
}
