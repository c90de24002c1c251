import PoolctlAPI
import Synchronization
import Testing

/// Audit, 7 Dec: pages that each named a fresh next token kept `plan`
/// paging for as long as it was let run, without a word.
@Suite struct PageStreakTests {
    @Test func pagesThatBringNothingYetNameAnotherEndTheListing() async throws {
        let fetched = Mutex(0)
        let endless = Paginated<Int>(pageSize: 1000) { _, _ in
            let n = fetched.withLock { count in
                count += 1
                return count
            }
            return Page(items: [], pagination: Pagination(next: "token-\(n)", current: ""))
        }
        await #expect(throws: APIError.self) { _ = try await endless.collect() }
        #expect(fetched.withLock { $0 } == PageStreak.limit)
    }

    @Test func anEmptyPageNowAndThenIsFine() async throws {
        let fetched = Mutex(0)
        let list = Paginated<Int>(pageSize: 1000) { _, _ in
            let n = fetched.withLock { count in
                count += 1
                return count
            }
            // Nine empty pages, then one item, 30 pages in all.
            return Page(items: n % 10 == 0 ? [n] : [], pagination: Pagination(next: n < 30 ? "token-\(n)" : nil, current: ""))
        }
        #expect(try await list.collect() == [10, 20, 30])
    }
}
