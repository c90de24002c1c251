import Foundation
import Hummingbird
import NIOCore
import PoolctlAPI

/// The JSON body of a POST or PATCH: `Content-Type: application/json`,
/// 1 byte to 2 MiB, valid JSON, decoded by JSONDecoder into one of the
/// `RequestBody` types. Every failure is a 400.
enum BodyReading {
    static let maxSize = 2 * 1024 * 1024

    static func read<Body: RequestBody>(_: Body.Type, from request: inout Request) async throws(APIError) -> Body {
        try decode(Body.self, from: try await bytes(of: &request))
    }

    static func bytes(of request: inout Request) async throws(APIError) -> Data {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType =
            contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" else {
            throw APIError.http(
                400,
                contentType.isEmpty
                    ? "Content-Type application/json is required"
                    : "Content-Type must be application/json, got '\(FieldRules.clip(contentType))'")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxSize {
            throw APIError.http(400, "request body is larger than 2 MiB")
        }
        var buffer = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= maxSize else {
                    throw APIError.http(400, "request body is larger than 2 MiB")
                }
                var chunk = chunk
                buffer.writeBuffer(&chunk)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.http(400, "could not read the request body")
        }
        guard buffer.readableBytes > 0 else { throw APIError.http(400, "a JSON request body is required") }
        return Data(buffer.readableBytesView)
    }

    static func decode<Body: RequestBody>(_: Body.Type, from data: Data) throws(APIError) -> Body {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: data)
        } catch let problem as BodyProblem {
            throw APIError.http(400, problem.message)
        } catch {
            throw APIError.http(400, "request body is not valid JSON" + detail(error))
        }
        if let name = DuplicateKeys.first(in: data) {
            throw APIError.http(400, "property '\(FieldRules.clip(name))' appears more than once")
        }
        return body
    }

    /// `: ` and Foundation's description of a syntax error, when it has one.
    private static func detail(_ error: any Error) -> String {
        guard case .dataCorrupted(let context) = error as? DecodingError,
            let underlying = context.underlyingError as? NSError,
            let description = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
        else { return "" }
        return ": " + description
    }
}
