import PoolctlAPI

extension EmulatorStore {
    /// `CommsAPI`'s name for the nested operation path.
    public func fetchPoolSendersOperation(poolID: String, operationID: String) throws(APIError) -> SenderPoolOperation {
        try fetchOperation(poolID: poolID, id: operationID)
    }
}
