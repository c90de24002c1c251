import Foundation
import Testing

@testable import PoolctlAPI
@testable import PoolctlAPIHTTP

/// The client survives answers the public docs leave open (issue 10).
@Suite struct TolerantClientTests {
    let poolID = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
    let operationID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"

    @Test func poolsWithNullOrMissingFieldsAndMissingArraysStillList() async throws {
        let h = try Harness([
            .respond(
                200,
                body: """
                    {"senderPools":[{"id":"\(poolID)","name":null,"tags":null},
                                    {"id":"comms_senderpool_01h9krwprkeee8fzqspvwy6nq9","tags":{"a":"1","b":null}}],
                     "pagination":{"next":null,"self":null}}
                    """),
            .respond(200, body: #"{"pagination":{"next":null}}"#),
        ])
        let page = try await h.api.listSenderPools(SenderPoolQuery())
        #expect(page.items.map(\.name) == ["", ""])
        #expect(page.items.map(\.tags) == [[:], ["a": "1"]])
        let empty = try await h.api.listPoolSenders(poolID: poolID, SenderQuery())
        #expect(empty.items.isEmpty)
    }

    @Test func anOperationWithoutStatsOrWithANewStatusDecodes() async throws {
        let h = try Harness([.respond(200, body: #"{"id":"\#(operationID)","status":"SCHEDULED","accountId":"AC1","_meta":{}}"#)])
        let operation = try await h.api.fetchOperation(id: operationID)
        #expect(operation.status == .scheduled)
        #expect(!operation.status.isTerminal)
        #expect(operation.stats == OperationStats(total: 0, queued: 0, created: 0, failed: 0))
    }

    @Test func aRepeatedPageTokenEndsPagingWithAnError() async throws {
        let h = try Harness([
            .respond(200, body: #"{"operations":[],"pagination":{"next":"same","self":"a"}}"#),
            .respond(200, body: #"{"operations":[],"pagination":{"next":"same","self":"same"}}"#),
        ])
        let error = await apiError { _ = try await h.api.allOperations().collect() }
        #expect(error?.kind == .invalidResponse)
        #expect(error?.message.contains("page token 'same' a second time") == true)
        // The error names the list it stopped, as every API error names its call.
        #expect(error?.description.hasPrefix("GET /v1/SenderPools/Operations: invalid response") == true)
        #expect(h.transport.sent.count == 2)
    }

    @Test func aMemberListThatStopsPagingNamesItsPool() async throws {
        let page = #"{"senders":[],"pagination":{"next":"same","self":"a"}}"#
        let h = try Harness([.respond(200, body: page), .respond(200, body: page)])
        let error = await apiError { _ = try await h.api.allPoolSenders(poolID: poolID).collect() }
        #expect(error?.method == "GET")
        #expect(error?.path == "/v1/SenderPools/\(poolID)/Senders")
    }

    @Test func aForeignLocationIsPolledOnOurOwnBaseURL() async throws {
        let h = try Harness([
            .respond(200, body: #"{"id":"\#(operationID)","status":"COMPLETED","stats":{"total":1,"queued":0,"created":1,"failed":0}}"#)
        ])
        let reference = OperationReference(
            id: operationID, location: "https://comms.twilio.com/v1/SenderPools/\(poolID)/Senders/Operations/\(operationID)", poolID: poolID
        )
        let operation = try await h.api.fetchOperation(reference)
        #expect(operation.status == .completed)
        #expect(
            h.transport.sent.map(\.request.url) == ["https://comms.example.test/v1/SenderPools/\(poolID)/Senders/Operations/\(operationID)"]
        )
        #expect(h.counter.calls == [.fetchPoolSendersOperation: 1])
    }

    @Test func aNestedPathThatIs404FallsBackToTheFlatOne() async throws {
        let h = try Harness([
            .respond(404, body: #"{"code":20404,"message":"not found","moreInfo":"x","status":404}"#),
            .respond(200, body: #"{"id":"\#(operationID)","status":"PROCESSING"}"#),
        ])
        let reference = OperationReference(
            id: operationID, location: "/v1/SenderPools/\(poolID)/Senders/Operations/\(operationID)", poolID: poolID)
        _ = try await h.api.fetchOperation(reference)
        #expect(
            h.transport.sent.map(\.request.url) == [
                "https://comms.example.test/v1/SenderPools/\(poolID)/Senders/Operations/\(operationID)",
                "https://comms.example.test/v1/SenderPools/Operations/\(operationID)",
            ])
    }

    @Test func a429IsNeverFinalWhileTheDeadlineAllowsWaiting() async throws {
        let limited = ScriptedTransport.Step.respond(429, headers: [(name: "Retry-After", value: "2")], body: "")
        let h = try Harness([limited, limited, limited, limited, .respond(202, body: #"{"operationId":"\#(operationID)"}"#)]) {
            $0.maxAttempts = 2
        }
        let accepted = try await h.api.createSenderPool(CreateSenderPoolRequest(name: "a"))
        #expect(accepted.operationId == operationID)
        #expect(h.transport.sent.count == 5)
        // Each pause is the scheduler's Retry-After, not a per-call backoff.
        #expect(h.clock.sleeps == [.seconds(2), .seconds(2), .seconds(2), .seconds(2)])
    }

    @Test func anyTwoHundredIsSuccessForDeletes() async throws {
        let h = try Harness([
            .respond(204, body: ""),
            .respond(200, body: #"{"resourceId":"\#(poolID)"}"#),
            .respond(202, body: "not json"),
        ])
        _ = try await h.api.deleteSenderPool(id: poolID)
        _ = try await h.api.removeSender(poolID: poolID, senderID: "comms_sender_01h9krwprkeee8fzqspvwy6nq9")
        _ = try await h.api.deleteSenderPool(id: poolID)
        #expect(h.transport.sent.count == 3)
    }
}
