# cmassoc bootstrap: runs on the SMS Provider server under powershell.exe -EncodedCommand.
# Reads one batch per stdin line (base64 UTF-8 JSON), does the WMI work against
# root\SMS\site_<code>, writes one line per batch: "R <id> <base64 UTF-8 JSON>".
# Nothing from the request is ever evaluated as PowerShell: it is only data. WQL is
# built here from checked identifiers and escaped literals. Protocol: importer/winrm/wire.py.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Add-Type -AssemblyName System.Management
$Utf8 = New-Object System.Text.UTF8Encoding($false)
$script:Scope = $null
$script:SiteCode = $null
$Mask32 = [int64]4294967295
$ExtendedFields = @('ErrorCode', 'Description', 'Operation', 'ParameterInfo', 'ProviderName', 'StatusCode')

function Assert-Identifier([string]$Name) {
    if ($Name -notmatch '^[A-Za-z_][A-Za-z0-9_]{0,63}$') {
        throw (New-Object System.ArgumentException("not a WMI identifier: $Name"))
    }
    return $Name
}

function ConvertTo-WqlLiteral($Value) {
    if ($Value -is [string]) {
        $escaped = $Value -replace '\\', '\\' -replace "'", "\'"
        return "'" + $escaped + "'"
    }
    if ($Value -is [bool]) { return [string][int]$Value }
    return [string]([uint32]$Value)
}

function ConvertTo-Plain($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.ManagementBaseObject]) {
        $h = @{}
        foreach ($p in $Value.Properties) { $h[$p.Name] = ConvertTo-Plain $p.Value }
        return $h
    }
    if ($Value -is [array]) {
        $items = New-Object System.Collections.ArrayList
        foreach ($v in $Value) { $null = $items.Add((ConvertTo-Plain $v)) }
        return , $items.ToArray()
    }
    if ($Value -is [string] -or $Value -is [bool]) { return $Value }
    if ($Value -is [ValueType]) { return [int64]$Value }
    return [string]$Value
}

function Get-ErrorResult($Record) {
    $ex = $Record.Exception
    while ($null -ne $ex.InnerException -and -not ($ex -is [System.Management.ManagementException])) {
        $ex = $ex.InnerException
    }
    $extended = @{}
    if ($ex -is [System.Management.ManagementException]) {
        $code = ([int64][int]$ex.ErrorCode) -band $Mask32
        if ($null -ne $ex.ErrorInformation) {
            foreach ($p in $ex.ErrorInformation.Properties) {
                if ($ExtendedFields -contains $p.Name -and $null -ne $p.Value) { $extended[$p.Name] = [string]$p.Value }
            }
        }
    } else {
        $code = ([int64]$ex.HResult) -band $Mask32
    }
    return @{ error = @{ code = $code; message = [string]$ex.Message; extended = $extended } }
}

function Invoke-Hello($Op) {
    $site = [string]$Op.site
    if ($site -notmatch '^[A-Za-z0-9]{3}$') {
        throw (New-Object System.ArgumentException("not a site code: $site"))
    }
    $scope = New-Object System.Management.ManagementScope("\\.\root\SMS\site_$site")
    $scope.Connect()
    $script:Scope = $scope
    $script:SiteCode = $site
    $version = $PSVersionTable.PSVersion.ToString()
    return @{ hello = @{ computer = $env:COMPUTERNAME; powershell = $version; site = $site } }
}

function Invoke-Query($Op) {
    $class = Assert-Identifier ([string]$Op.class)
    $properties = @($Op.properties | ForEach-Object { Assert-Identifier ([string]$_) })
    $lazy = @($Op.lazy | Where-Object { $null -ne $_ } | ForEach-Object { Assert-Identifier ([string]$_) })
    $terms = New-Object System.Collections.ArrayList
    foreach ($match in @($Op.matches)) {
        $parts = New-Object System.Collections.ArrayList
        foreach ($p in $match.PSObject.Properties) {
            $null = $parts.Add((Assert-Identifier $p.Name) + ' = ' + (ConvertTo-WqlLiteral $p.Value))
        }
        $null = $terms.Add('(' + ($parts -join ' AND ') + ')')
    }
    $wql = 'SELECT ' + ($properties -join ', ') + ' FROM ' + $class
    if ($terms.Count -gt 0) { $wql += ' WHERE ' + ($terms -join ' OR ') }
    $searcher = New-Object System.Management.ManagementObjectSearcher($script:Scope, (New-Object System.Management.ObjectQuery($wql)))
    $rows = New-Object System.Collections.ArrayList
    foreach ($item in $searcher.Get()) {
        if ($lazy.Count -gt 0) { $item.Get() }
        $row = @{}
        foreach ($name in @($properties + $lazy)) { $row[$name] = ConvertTo-Plain $item.Properties[$name].Value }
        $null = $rows.Add($row)
    }
    return @{ rows = $rows.ToArray() }
}

function New-UserNames($Users) {
    $class = New-Object System.Management.ManagementClass($script:Scope, (New-Object System.Management.ManagementPath('SMS_StateMigrationUserNames')), $null)
    $list = New-Object System.Collections.ArrayList
    foreach ($user in @($Users)) {
        if ($null -eq $user) { continue }
        $instance = $class.CreateInstance()
        $instance['UserName'] = [string]$user.UserName
        $instance['LocaleID'] = [uint32]$user.LocaleID
        $null = $list.Add($instance)
    }
    return , ([System.Management.ManagementBaseObject[]]$list.ToArray())
}

function Invoke-Call($Op) {
    $className = Assert-Identifier ([string]$Op.class)
    $methodName = Assert-Identifier ([string]$Op.method)
    $class = New-Object System.Management.ManagementClass($script:Scope, (New-Object System.Management.ManagementPath($className)), $null)
    $inParams = $class.GetMethodParameters($methodName)
    foreach ($p in $Op.params.PSObject.Properties) {
        $name = Assert-Identifier $p.Name
        if ($name -eq 'UserNames') {
            $inParams[$name] = New-UserNames $p.Value
        } else {
            $inParams[$name] = [uint32]$p.Value
        }
    }
    $out = $class.InvokeMethod($methodName, $inParams, $null)
    return @{ return_value = [int64]$out['ReturnValue'] }
}

function Invoke-Op($Op) {
    try {
        switch ([string]$Op.op) {
            'hello' { return Invoke-Hello $Op }
            'query' { return Invoke-Query $Op }
            'call' { return Invoke-Call $Op }
            default { throw (New-Object System.ArgumentException("unknown op: $($Op.op)")) }
        }
    } catch {
        return Get-ErrorResult $_
    }
}

[Console]::Out.WriteLine('READY 1')
[Console]::Out.Flush()
while ($true) {
    $line = [Console]::In.ReadLine()
    if ($null -eq $line) { break }
    if ($line.Trim().Length -eq 0) { continue }
    $request = ConvertFrom-Json ($Utf8.GetString([Convert]::FromBase64String($line.Trim())))
    $id = [string]$request.id
    if ($id -notmatch '^[0-9a-f]{1,16}$') { continue }
    $results = New-Object System.Collections.ArrayList
    foreach ($op in @($request.ops)) { $null = $results.Add((Invoke-Op $op)) }
    $json = ConvertTo-Json -InputObject @{ id = $id; results = $results.ToArray() } -Depth 10 -Compress
    [Console]::Out.WriteLine('R ' + $id + ' ' + [Convert]::ToBase64String($Utf8.GetBytes($json)))
    [Console]::Out.Flush()
}
