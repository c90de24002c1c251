import PoolctlAPI
import Synchronization
import Testing

/// A list whose page `n` (from 1) is `page(n)`, counting the pages fetched.
private final class NumberedPages: Sendable {
    private final class Counter: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func next() -> Int {
            count.withLock { count in
                count += 1
                return count
            }
        }
    }

    private let counter = Counter()
    let list: Paginated<Int>
    var fetched: Int { counter.value }

    init(_ page: @escaping @Sendable (Int) -> Page<Int>) {
        let counter = self.counter
        list = Paginated<Int>(pageSize: 1000, path: "/v1/SenderPools") { _, _ in page(counter.next()) }
    }
}

/// Audit, 7 Dec: pages that each named a fresh next token kept `plan`
/// paging for as long as it was let run, without a word.
@Suite struct PageStreakTests {
    @Test func pagesThatBringNothingYetNameAnotherEndTheListing() async throws {
        let endless = NumberedPages { n in Page(items: [], pagination: Pagination(next: "token-\(n)", current: "")) }
        let error = await #expect(throws: APIError.self) { _ = try await endless.list.collect() }
        #expect(endless.fetched == PageStreak.limit)
        #expect(error?.method == "GET" && error?.path == "/v1/SenderPools")
    }

    @Test func anEmptyPageNowAndThenIsFine() async throws {
        // Nine empty pages, then one item, 30 pages in all.
        let pages = NumberedPages { n in
            Page(items: n % 10 == 0 ? [n] : [], pagination: Pagination(next: n < 30 ? "token-\(n)" : nil, current: ""))
        }
        #expect(try await pages.list.collect() == [10, 20, 30])
    }
}
