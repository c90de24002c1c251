import Hummingbird
import NIOCore
import PoolctlAPI
import Synchronization

/// The bodies of the two sender lists (`GET /v1/SenderPools/{id}/Senders`
/// and `GET /v1/Senders`), assembled from bytes rather than encoded anew.
///
/// The inventory never changes, so each sender's JSON object (as
/// `ResponseEncoding.body` writes it, behaviours included) is encoded once,
/// on first use, and kept. A page is the envelope encoded as usual with no
/// senders (`{"pagination":{…},"senders":[]}`, shaped alike), with the
/// cached objects spliced between its brackets, comma-separated. The bytes
/// are exactly those of encoding the whole page: `JSONEncoder`
/// writes an array item as it writes the item alone, and `unknown-fields`
/// and `nulls` shape each array item as a value on its own (`shaped(_:under:
/// nil)`). Memberships live in the store and are read per request, so there
/// is nothing here to invalidate on a write.
final class SenderBodies: Sendable {
    private let inventory: [Sender]
    private let encoding: ResponseEncoding
    /// Each inventory sender's encoded object, once encoded.
    private let cache: Mutex<[ByteBuffer?]>

    private static let marker = Array(#""senders":[]"#.utf8)

    init(inventory: [Sender], encoding: ResponseEncoding) {
        self.inventory = inventory
        self.encoding = encoding
        self.cache = Mutex([ByteBuffer?](repeating: nil, count: inventory.count))
    }

    /// The encoded objects of `indices`, encoding the ones not seen yet.
    private func objects(_ indices: [Int32]) -> [ByteBuffer] {
        cache.withLock { cache in
            indices.map { index in
                let i = Int(index)
                if let bytes = cache[i] { return bytes }
                let bytes = ByteBuffer(bytes: encoding.body(Wire.sender(inventory[i])))
                cache[i] = bytes
                return bytes
            }
        }
    }

    /// The body of a page whose items are inventory indices.
    func body(_ page: ListPage<Int32>) -> ByteBuffer {
        let envelope = [UInt8](encoding.body(Wire.page(.senders, [], next: page.next, current: page.current)))
        let objects = objects(page.items)
        // `"senders":[]` is a key: tokens and the behaviours' extra fields never hold it.
        guard let at = Self.lastRange(of: Self.marker, in: envelope) else {
            return ByteBuffer(bytes: encoding.body(page.map { Wire.sender(inventory[Int($0)]) }.body(.senders)))
        }
        let split = at + Self.marker.count - 1
        var size = envelope.count + max(0, objects.count - 1)
        for object in objects { size += object.readableBytes }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeBytes(envelope[..<split])
        for (n, object) in objects.enumerated() {
            if n > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeImmutableBuffer(object)
        }
        buffer.writeBytes(envelope[split...])
        return buffer
    }

    func response(_ page: ListPage<Int32>) -> Response {
        let body = body(page)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    private static func lastRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var start = haystack.count - needle.count
        while start >= 0 {
            if haystack[start] == needle[0], haystack[start..<start + needle.count].elementsEqual(needle) { return start }
            start -= 1
        }
        return nil
    }
}
