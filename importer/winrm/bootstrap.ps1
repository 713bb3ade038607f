# cmassoc bootstrap: runs on the SMS Provider server under powershell.exe -EncodedCommand.
# Reads one batch per stdin line (base64 of raw-deflated UTF-8 JSON), does the WMI work
# against root\SMS\site_<code>, writes one line per batch: "R <id> <base64 deflated JSON>".
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

function ConvertFrom-Packed([string]$Line) {
    $packed = New-Object System.IO.MemoryStream(, [Convert]::FromBase64String($Line))
    $inflate = New-Object System.IO.Compression.DeflateStream($packed, [System.IO.Compression.CompressionMode]::Decompress)
    $reader = New-Object System.IO.StreamReader($inflate, $Utf8)
    try { return $reader.ReadToEnd() } finally { $reader.Dispose() }
}

function ConvertTo-Packed([string]$Text) {
    $bytes = $Utf8.GetBytes($Text)
    $output = New-Object System.IO.MemoryStream
    $deflate = New-Object System.IO.Compression.DeflateStream($output, [System.IO.Compression.CompressionMode]::Compress)
    $deflate.Write($bytes, 0, $bytes.Length)
    $deflate.Dispose()
    return [Convert]::ToBase64String($output.ToArray())
}

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
    $keys = @($Op.keys | ForEach-Object { Assert-Identifier ([string]$_) })
    $values = @($Op.values)
    if ($keys.Count -gt 0 -and ($values.Count % $keys.Count) -ne 0) {
        throw (New-Object System.ArgumentException('values do not fill whole matches'))
    }
    $terms = New-Object System.Collections.ArrayList
    for ($start = 0; $keys.Count -gt 0 -and $start -lt $values.Count; $start += $keys.Count) {
        $parts = New-Object System.Collections.ArrayList
        for ($k = 0; $k -lt $keys.Count; $k++) {
            $null = $parts.Add($keys[$k] + ' = ' + (ConvertTo-WqlLiteral $values[$start + $k]))
        }
        $null = $terms.Add('(' + ($parts -join ' AND ') + ')')
    }
    $wql = 'SELECT ' + ($properties -join ', ') + ' FROM ' + $class
    if ($terms.Count -gt 0) { $wql += ' WHERE ' + ($terms -join ' OR ') }
    $searcher = New-Object System.Management.ManagementObjectSearcher($script:Scope, (New-Object System.Management.ObjectQuery($wql)))
    $columns = @($properties + $lazy | Select-Object -Unique)
    $rows = New-Object System.Collections.ArrayList
    foreach ($item in $searcher.Get()) {
        if ($lazy.Count -gt 0) { $item.Get() }
        $row = New-Object object[] $columns.Count
        for ($c = 0; $c -lt $columns.Count; $c++) { $row[$c] = ConvertTo-Plain $item.Properties[$columns[$c]].Value }
        $null = $rows.Add($row)
    }
    return @{ columns = $columns; rows = $rows.ToArray() }
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

[Console]::Out.WriteLine('READY 2')
[Console]::Out.Flush()
while ($true) {
    $line = [Console]::In.ReadLine()
    if ($null -eq $line) { break }
    if ($line.Trim().Length -eq 0) { continue }
    $request = ConvertFrom-Json (ConvertFrom-Packed $line.Trim())
    $id = [string]$request.id
    if ($id -notmatch '^[0-9a-f]{1,16}$') { continue }
    $results = New-Object System.Collections.ArrayList
    foreach ($op in @($request.ops)) { $null = $results.Add((Invoke-Op $op)) }
    $json = ConvertTo-Json -InputObject @{ id = $id; results = $results.ToArray() } -Depth 10 -Compress
    [Console]::Out.WriteLine('R ' + $id + ' ' + (ConvertTo-Packed $json))
    [Console]::Out.Flush()
}
