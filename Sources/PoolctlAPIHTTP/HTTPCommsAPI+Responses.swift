import Foundation
import NIOHTTP1
import PoolctlAPI
import PoolctlModel

/// Successful answers decoded, and failed ones read for the API's error.
extension HTTPCommsAPI {
    func object<T: Decodable>(_ request: APIRequest) async throws -> T {
        let (response, attempts) = try await perform(request)
        return try decode(T.self, response, request, attempts)
    }

    func page<Item: ListItem & Decodable>(_ request: APIRequest, _: Item.Type) async throws -> Page<Item> {
        let (response, attempts) = try await perform(request)
        let body = try decode(ListBody<Item>.self, response, request, attempts)
        return Self.page(body.items, body.pagination)
    }

    /// An empty `next` would make the caller send `pageToken=` (a 400): treat it as the end.
    static func page<Item>(_ items: [Item], _ pagination: Pagination?) -> Page<Item> {
        let next = pagination?.next.flatMap { $0.isEmpty ? nil : $0 }
        return Page(items: items, pagination: Pagination(next: next, current: pagination?.current ?? ""))
    }

    /// Create and Add Senders. A 2xx means the write was accepted, so a body
    /// that cannot be read does not turn it into an error: the fields stay nil
    /// and `location` (the `Location` header) remains as the fallback.
    func operationAccepted(_ request: APIRequest) async throws -> OperationAccepted {
        let (response, _) = try await perform(request)
        var accepted =
            tolerantDecode(OperationAccepted.self, response, request) ?? OperationAccepted(operationId: nil, operationLocation: nil)
        accepted.location = response.header("Location")
        return accepted
    }

    /// Update, Delete and Remove Sender; tolerant like `operationAccepted`.
    func resourceAccepted(_ request: APIRequest) async throws -> ResourceAccepted {
        let (response, _) = try await perform(request)
        var accepted = tolerantDecode(ResourceAccepted.self, response, request) ?? ResourceAccepted(resourceId: nil, resourceLocation: nil)
        if accepted.resourceLocation == nil { accepted.resourceLocation = response.header("Location") }
        return accepted
    }

    func decode<T: Decodable>(_: T.Type, _ response: TransportResponse, _ request: APIRequest, _ attempts: Int) throws -> T {
        do {
            return try Self.decoder.decode(T.self, from: response.body)
        } catch {
            throw redact(
                APIError(
                    kind: .invalidResponse, method: request.method, path: request.path, status: response.status,
                    message: "unexpected response body: \(JSONDecodingProblem(error, in: response.body, valuesShown: false))",
                    attempts: attempts))
        }
    }

    /// One decoder for every response: it holds no state between calls.
    private static let decoder = JSONDecoder()

    func tolerantDecode<T: Decodable>(_: T.Type, _ response: TransportResponse, _ request: APIRequest) -> T? {
        guard !response.body.isEmpty else { return nil }
        do {
            return try Self.decoder.decode(T.self, from: response.body)
        } catch {
            log(
                "  (ignoring unreadable \(response.status) body of \(request.method) \(request.path): \(JSONDecodingProblem(error, in: response.body, valuesShown: false)))"
            )
            return nil
        }
    }

    /// An `.http` error with the API's `code` and `message` when the body has
    /// them (any JSON or none is tolerated).
    func httpError(_ response: TransportResponse, _ request: APIRequest) -> APIError {
        let body = ErrorBody.parse(response.body)
        let reason = HTTPResponseStatus(statusCode: response.status).reasonPhrase
        return APIError(
            kind: .http, method: request.method, path: request.path, status: response.status, code: body.code,
            message: body.message ?? (reason.isEmpty ? "HTTP \(response.status)" : reason))
    }
}

// MARK: Wire shape of errors

/// The useful parts of an error body: `{"code","message","moreInfo","status"}`
/// when the API sends it, else a short excerpt of whatever came.
struct ErrorBody: Equatable {
    var code: Int?
    var message: String?

    static func parse(_ data: Data) -> ErrorBody {
        let object = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any]
        if let object {
            let code = (object["code"] as? Int) ?? (object["code"] as? String).flatMap { Int($0) }
            let message = (object["message"] as? String).map(excerpt) ?? (object["detail"] as? String).map(excerpt)
            if message != nil || code != nil { return ErrorBody(code: code, message: message) }
        }
        let text = excerpt(String(decoding: data, as: UTF8.self))
        return ErrorBody(code: nil, message: text.isEmpty ? nil : text)
    }

    /// One line of at most 300 characters, so an HTML error page stays readable.
    static func excerpt(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.count > 300 ? line.prefix(300) + "…" : line
    }
}
