"""What the tests share: the loopback WinRM and OData endpoints, fault-injecting providers."""
