import PoolctlCLI

await PoolctlMain.main()
