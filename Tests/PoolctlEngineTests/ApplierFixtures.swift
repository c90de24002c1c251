import PoolctlEngine

// The ids and options the Applier suites share.
let poolID = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
let opID = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v01"
let s1 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v01"
let s2 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v02"

/// One fetch per poll, so that a test scripts each operation's answers.
let onePollPerOperation: ApplyOptions = {
    var options = ApplyOptions()
    options.pollByListing = false
    return options
}()
