import Foundation
import Hummingbird
import NIOCore
import PoolctlAPI

/// Every response the emulator sends is built here: bodies are the wire
/// models of PoolctlAPI (or the admin types) encoded with one JSONEncoder
/// (sorted keys, slashes not escaped), so exactly the declared fields go
/// out. A change to every response body belongs in `body(_:)`.
enum ResponseEncoding {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func body(_ value: some Encodable) -> Data {
        // Strings, integers and maps of them only: encoding cannot fail.
        try! encoder.encode(value)
    }

    static func json(_ status: Int, _ value: some Encodable, location: String? = nil, headers extra: HTTPFields = [:]) -> Response {
        let bytes = body(value)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.contentLength] = String(bytes.count)
        if let location { headers[.location] = location }
        headers.append(contentsOf: extra)
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: Int, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, ErrorBody(status: status, message: message), headers: headers)
    }
}
