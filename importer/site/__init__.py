"""The site: the Provider seam, the gateway that batches and cuts WQL, and the WinRM,
AdminService and demo providers side by side under it."""
