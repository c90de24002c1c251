import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlAPIHTTP

@Suite struct RequestBuildingTests {
    let pool = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
    let sender = "comms_sender_01h9krwprkeee8fzqspvwy6nq9"
    let operation = "comms_operation_01h9krwprkeee8fzqspvwy6nqa"

    func json(_ request: APIRequest) -> String? {
        request.body.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func everyEndpointPathAndMethod() {
        let cases: [(APIRequest, String, String, Endpoint)] = [
            (.listSenderPools(SenderPoolQuery()), "GET", "/v1/SenderPools", .listSenderPools),
            (.createSenderPool(CreateSenderPoolRequest()), "POST", "/v1/SenderPools", .createSenderPool),
            (.fetchSenderPool(id: pool), "GET", "/v1/SenderPools/\(pool)", .fetchSenderPool),
            (.updateSenderPool(id: pool, UpdateSenderPoolRequest(name: "x")), "PATCH", "/v1/SenderPools/\(pool)", .updateSenderPool),
            (.deleteSenderPool(id: pool), "DELETE", "/v1/SenderPools/\(pool)", .deleteSenderPool),
            (.listPoolSenders(poolID: pool, SenderQuery()), "GET", "/v1/SenderPools/\(pool)/Senders", .listPoolSenders),
            (.addSenders(poolID: pool, senderIDs: [sender]), "POST", "/v1/SenderPools/\(pool)/Senders", .addSenders),
            (.removeSender(poolID: pool, senderID: sender), "DELETE", "/v1/SenderPools/\(pool)/Senders/\(sender)", .removeSender),
            (.listOperations(OperationQuery()), "GET", "/v1/SenderPools/Operations", .listOperations),
            (.fetchOperation(id: operation), "GET", "/v1/SenderPools/Operations/\(operation)", .fetchOperation),
            (
                .fetchPoolSendersOperation(poolID: pool, operationID: operation), "GET",
                "/v1/SenderPools/\(pool)/Senders/Operations/\(operation)", .fetchPoolSendersOperation
            ),
            (.listSenders(SenderQuery()), "GET", "/v1/Senders", .listSenders),
        ]
        for (request, method, path, endpoint) in cases {
            #expect(request.method == method)
            #expect(request.path == path)
            #expect(request.endpoint == endpoint)
            #expect(request.endpoint.method == method)
            #expect(request.target == path, "no query when no filter is set")
            #expect((request.body != nil) == (method == "POST" || method == "PATCH"))
        }
        #expect(Set(cases.map(\.3)) == Set(Endpoint.allCases), "every endpoint has a builder")
    }

    @Test func listSenderPoolsQuery() {
        let request = APIRequest.listSenderPools(
            SenderPoolQuery(
                startDate: "2024-01-15T09:30:00+02:00", endDate: "2024-02-15T09:30:00Z", operationId: operation,
                pageSize: 1000, pageToken: "eyJ2IjoxfQ=="))
        #expect(
            request.target == "/v1/SenderPools?startDate=2024-01-15T09%3A30%3A00%2B02%3A00&endDate=2024-02-15T09%3A30%3A00Z"
                + "&operationId=\(operation)&pageToken=eyJ2IjoxfQ%3D%3D&pageSize=1000")
    }

    @Test func plusIsNeverSentRaw() {
        let request = APIRequest.listOperations(OperationQuery(startDate: "2024-01-15T09:30:00.5+05:30"))
        #expect(request.queryString == "startDate=2024-01-15T09%3A30%3A00.5%2B05%3A30")
        #expect(!request.target.contains("+"))
    }

    @Test func poolSendersQuery() {
        let request = APIRequest.listPoolSenders(
            poolID: pool,
            SenderQuery(
                channel: .sms, status: .activated, startDate: "2024-01-01T00:00:00Z", endDate: "2024-12-31T00:00:00-01:00",
                pageSize: 50, pageToken: "a b/c"))
        #expect(
            request.target == "/v1/SenderPools/\(pool)/Senders?channel=SMS&status=ACTIVATED"
                + "&startDate=2024-01-01T00%3A00%3A00Z&endDate=2024-12-31T00%3A00%3A00-01%3A00&pageToken=a%20b%2Fc&pageSize=50")
    }

    @Test func operationsQuery() {
        let request = APIRequest.listOperations(OperationQuery(status: .processing, pageSize: 10))
        #expect(request.target == "/v1/SenderPools/Operations?status=PROCESSING&pageSize=10")
        let full = APIRequest.listOperations(
            OperationQuery(
                status: .completed, startDate: "2024-01-01T00:00:00Z", endDate: "2024-02-01T00:00:00Z", pageSize: 5, pageToken: "t"))
        #expect(
            full.target == "/v1/SenderPools/Operations?startDate=2024-01-01T00%3A00%3A00Z&endDate=2024-02-01T00%3A00%3A00Z"
                + "&status=COMPLETED&pageToken=t&pageSize=5")
    }

    @Test func inventoryQuerySendsNoDateFilters() {
        let request = APIRequest.listSenders(
            SenderQuery(channel: "FUTURE", status: .deactivated, startDate: "2024-01-01T00:00:00Z", pageSize: 1000))
        #expect(request.target == "/v1/Senders?channel=FUTURE&status=DEACTIVATED&pageSize=1000")
    }

    @Test func percentEncoding() {
        #expect(APIRequest.percentEncode("AZaz09-._~") == "AZaz09-._~")
        #expect(APIRequest.percentEncode("+ /?&=#%") == "%2B%20%2F%3F%26%3D%23%25")
        #expect(APIRequest.percentEncode("é") == "%C3%A9")
    }

    @Test func pathSegmentsAreEncoded() {
        #expect(APIRequest.fetchSenderPool(id: "a/b?c").path == "/v1/SenderPools/a%2Fb%3Fc")
        #expect(APIRequest.fetchSenderPool(id: "..").path == "/v1/SenderPools/%2E%2E")
        #expect(APIRequest.removeSender(poolID: ".", senderID: "x#y").path == "/v1/SenderPools/%2E/Senders/x%23y")
    }

    @Test func createBody() {
        let request = APIRequest.createSenderPool(
            CreateSenderPoolRequest(
                name: "Sales Leads - APAC", tags: ["region": "APAC", "poolctl": "marketing.sales"],
                senders: [SenderReference(senderId: sender)]))
        #expect(
            json(request)
                == #"{"name":"Sales Leads - APAC","senders":[{"senderId":"\#(sender)"}],"tags":{"poolctl":"marketing.sales","region":"APAC"}}"#
        )
        #expect(json(.createSenderPool(CreateSenderPoolRequest())) == "{}")
        #expect(json(.createSenderPool(CreateSenderPoolRequest(name: "a/b"))) == #"{"name":"a/b"}"#)
    }

    @Test func addSendersBodyIsATopLevelArray() {
        let request = APIRequest.addSenders(poolID: pool, senderIDs: [sender, "comms_sender_other"])
        #expect(json(request) == #"[{"senderId":"\#(sender)"},{"senderId":"comms_sender_other"}]"#)
    }

    @Test func patchBody() {
        #expect(json(.updateSenderPool(id: pool, UpdateSenderPoolRequest(name: "New"))) == #"{"name":"New"}"#)
        #expect(json(.updateSenderPool(id: pool, UpdateSenderPoolRequest(tags: [:]))) == #"{"tags":{}}"#)
        #expect(
            json(.updateSenderPool(id: pool, UpdateSenderPoolRequest(name: "N", tags: ["k": "v"]))) == #"{"name":"N","tags":{"k":"v"}}"#)
    }
}

/// Header names match ignoring ASCII case only (RFC 9110 5.1).
struct HeaderNameTests {
    @Test(arguments: [
        ("Retry-After", "retry-after", true), ("Date", "DATE", true), ("date", "Date", true),
        ("Date", "Dates", false), ("Date", "Data", false),
        // Bytes that differ only in bit 0x20 but are not letters.
        ("@", "`", false), ("[", "{", false), ("X-1", "X-\u{11}", false),
    ])
    func matchesIgnoringASCIICaseOnly(_ a: String, _ b: String, _ same: Bool) {
        #expect(TransportResponse.sameName(a, b) == same)
        let response = TransportResponse(status: 200, headers: [(name: a, value: "v")], body: Data())
        #expect((response.header(b) == "v") == same)
    }
}
