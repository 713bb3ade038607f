"""The ConfigMgr administration service (OData REST over HTTPS on the SMS Provider): a second
way in, for sites where WinRM is closed or PowerShell payloads are blocked."""
