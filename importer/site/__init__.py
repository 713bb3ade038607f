"""The site: the `Provider` seam; the gateway the stages use (records, WQL cutting, the write
engine); and the WinRM, AdminService and demo providers side by side under it."""
