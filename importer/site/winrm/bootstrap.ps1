# cmassoc bootstrap: runs on the SMS Provider server under powershell.exe -EncodedCommand.
# Reads one batch per stdin line (base64 of UTF-8 JSON), does the WMI work against
# root\SMS\site_<code>, writes one line per batch: "R <id> <base64 of UTF-8 JSON>".
# Nothing from the request is ever evaluated as PowerShell: it is only data. WQL and object
# paths are built here from checked identifiers and escaped literals. Protocol: wire.py.
# This script never reads the automatic input variable: only [Console]::In reads stdin.

# Constrained Language Mode (WDAC/AppLocker) cannot run what follows: say so, plainly, first.
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    'REFUSED language ' + $ExecutionContext.SessionState.LanguageMode
    exit 3
}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# Windows PowerShell 5.1 can serialise a wrapped array as {"value":[...],"Count":n}.
Remove-TypeData System.Array -ErrorAction SilentlyContinue
Add-Type -AssemblyName System.Management
$Utf8 = New-Object System.Text.UTF8Encoding($false)
$script:Scope = $null
$Mask32 = [int64]4294967295
$ExtendedFields = @('Description', 'ErrorCode', 'Operation', 'ParameterInfo', 'ObjectInfo', 'CauseInfo', 'SQLMessage', 'SQLStatus', 'ProviderName', 'StatusCode')

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

function ConvertTo-PathLiteral($Value) {
    if ($Value -is [string]) {
        $escaped = $Value -replace '\\', '\\' -replace '"', '\"'
        return '"' + $escaped + '"'
    }
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

function Get-WmiException($Exception) {
    $ex = $Exception
    while ($null -ne $ex.InnerException -and -not ($ex -is [System.Management.ManagementException])) {
        $ex = $ex.InnerException
    }
    return $ex
}

function Get-ErrorResult($Record) {
    $ex = Get-WmiException $Record.Exception
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

function Get-GroupNames {
    $names = New-Object System.Collections.ArrayList
    foreach ($sid in [Security.Principal.WindowsIdentity]::GetCurrent().Groups) {
        try { $null = $names.Add($sid.Translate([Security.Principal.NTAccount]).Value) } catch { }
    }
    return , $names.ToArray()
}

function Invoke-Hello($Op) {
    $site = [string]$Op.site
    if ($site -notmatch '^[A-Za-z0-9]{3}$') {
        throw (New-Object System.ArgumentException("not a site code: $site"))
    }
    $scope = New-Object System.Management.ManagementScope("\\.\root\SMS\site_$site")
    $scope.Connect()
    $script:Scope = $scope
    return @{ hello = @{
        computer = $env:COMPUTERNAME
        powershell = $PSVersionTable.PSVersion.ToString()
        language = [string]$ExecutionContext.SessionState.LanguageMode
        site = $site
        user = [Security.Principal.WindowsIdentity]::GetCurrent().Name
        groups = (Get-GroupNames)
    } }
}

function Read-Columns($Op) {
    $properties = @($Op.properties | ForEach-Object { Assert-Identifier ([string]$_) })
    $lazy = @($Op.lazy | Where-Object { $null -ne $_ } | ForEach-Object { Assert-Identifier ([string]$_) })
    return , @($properties + $lazy | Select-Object -Unique)
}

function Get-Row($Item, $Columns) {
    $row = New-Object object[] $Columns.Count
    for ($c = 0; $c -lt $Columns.Count; $c++) { $row[$c] = ConvertTo-Plain $Item.Properties[$Columns[$c]].Value }
    return , $row
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
    $wql = 'SELECT ' + ($properties -join ', ') + ' FROM ' + $class
    if ($keys.Count -eq 1 -and $values.Count -gt 0) {
        $wql += ' WHERE ' + $keys[0] + ' IN (' + (($values | ForEach-Object { ConvertTo-WqlLiteral $_ }) -join ', ') + ')'
    } elseif ($keys.Count -gt 1) {
        $terms = New-Object System.Collections.ArrayList
        for ($start = 0; $start -lt $values.Count; $start += $keys.Count) {
            $parts = New-Object System.Collections.ArrayList
            for ($k = 0; $k -lt $keys.Count; $k++) {
                $null = $parts.Add($keys[$k] + ' = ' + (ConvertTo-WqlLiteral $values[$start + $k]))
            }
            $null = $terms.Add('(' + ($parts -join ' AND ') + ')')
        }
        if ($terms.Count -gt 0) { $wql += ' WHERE ' + ($terms -join ' OR ') }
    }
    $searcher = New-Object System.Management.ManagementObjectSearcher($script:Scope, (New-Object System.Management.ObjectQuery($wql)))
    $columns = Read-Columns $Op
    $rows = New-Object System.Collections.ArrayList
    foreach ($item in $searcher.Get()) {
        if ($lazy.Count -gt 0) { $item.Get() }
        $null = $rows.Add((Get-Row $item $columns))
    }
    return @{ columns = $columns; rows = $rows.ToArray() }
}

function Invoke-Get($Op) {
    $class = Assert-Identifier ([string]$Op.class)
    $keys = @($Op.keys | ForEach-Object { Assert-Identifier ([string]$_) })
    $values = @($Op.values)
    if ($keys.Count -eq 0 -or ($values.Count % $keys.Count) -ne 0) {
        throw (New-Object System.ArgumentException('values do not fill whole keys'))
    }
    $columns = Read-Columns $Op
    $rows = New-Object System.Collections.ArrayList
    for ($start = 0; $start -lt $values.Count; $start += $keys.Count) {
        $parts = New-Object System.Collections.ArrayList
        for ($k = 0; $k -lt $keys.Count; $k++) {
            $null = $parts.Add($keys[$k] + '=' + (ConvertTo-PathLiteral $values[$start + $k]))
        }
        $path = New-Object System.Management.ManagementPath($class + '.' + ($parts -join ','))
        $item = New-Object System.Management.ManagementObject($script:Scope, $path, $null)
        try {
            $item.Get()
        } catch {
            $wmi = Get-WmiException $_.Exception
            if ($wmi -is [System.Management.ManagementException] -and $wmi.ErrorCode -eq [System.Management.ManagementStatus]::NotFound) { continue }
            throw
        }
        $null = $rows.Add((Get-Row $item $columns))
    }
    return @{ columns = $columns; rows = $rows.ToArray() }
}

function ConvertTo-Embedded($Value) {
    $className = Assert-Identifier ([string]$Value.__class)
    $class = New-Object System.Management.ManagementClass($script:Scope, (New-Object System.Management.ManagementPath($className)), $null)
    $instance = $class.CreateInstance()
    foreach ($p in $Value.PSObject.Properties) {
        if ($p.Name -eq '__class') { continue }
        $instance[(Assert-Identifier $p.Name)] = ConvertTo-WmiValue $p.Value
    }
    return $instance
}

function ConvertTo-WmiValue($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [string] -or $Value -is [bool]) { return $Value }
    if ($Value -is [System.Management.Automation.PSCustomObject]) { return ConvertTo-Embedded $Value }
    if ($Value -is [array]) {
        $items = New-Object System.Collections.ArrayList
        foreach ($v in $Value) { $null = $items.Add((ConvertTo-WmiValue $v)) }
        if ($items.Count -gt 0 -and $items[0] -is [System.Management.ManagementBaseObject]) {
            return , ([System.Management.ManagementBaseObject[]]$items.ToArray())
        }
        return , $items.ToArray()
    }
    return [uint32]$Value
}

function Get-InstancePath([string]$ClassName, $Key) {
    $parts = New-Object System.Collections.ArrayList
    foreach ($p in $Key.PSObject.Properties) {
        $value = $p.Value
        if ($value -is [string] -and $value -notmatch '^[A-Za-z0-9_-]{1,64}$') {
            throw (New-Object System.ArgumentException("not a key value: $value"))
        }
        $null = $parts.Add((Assert-Identifier $p.Name) + '=' + (ConvertTo-PathLiteral $value))
    }
    return New-Object System.Management.ManagementPath($ClassName + '.' + ($parts -join ','))
}

# Every method call, static or on an instance, is made here. An instance method runs on the
# object at its path: SMS_StateMigration.GetEncryptDecryptKey on
# SMS_StateMigration.SourceClientResourceID=<s>,RestoreClientResourceID=<r> (the one public
# script calls it on the association; it takes no input, so only the instance names the key it
# gives), SMS_Collection.AddMembershipRules on SMS_Collection.CollectionID="<id>". A path that
# names no instance fails with WMI's NotFound, as a missing association should.
function Invoke-Call($Op) {
    $className = Assert-Identifier ([string]$Op.class)
    $methodName = Assert-Identifier ([string]$Op.method)
    if ($null -ne $Op.instance) {
        $target = New-Object System.Management.ManagementObject($script:Scope, (Get-InstancePath $className $Op.instance), $null)
        if ($methodName -eq 'Delete') {
            $target.Delete()
            return @{ return_value = 0 }
        }
    } else {
        $target = New-Object System.Management.ManagementClass($script:Scope, (New-Object System.Management.ManagementPath($className)), $null)
    }
    # A method without in-parameters (GetEncryptDecryptKey) has none to fill: $null here.
    $inParams = $target.GetMethodParameters($methodName)
    $given = @($Op.params.PSObject.Properties)
    if ($null -eq $inParams -and $given.Count -gt 0) {
        throw (New-Object System.ArgumentException("$methodName takes no in-parameters"))
    }
    foreach ($p in $given) {
        $inParams[(Assert-Identifier $p.Name)] = ConvertTo-WmiValue $p.Value
    }
    $out = $target.InvokeMethod($methodName, $inParams, $null)
    $extra = @{}
    foreach ($p in $out.Properties) {
        if ($p.Name -ne 'ReturnValue') { $extra[$p.Name] = ConvertTo-Plain $p.Value }
    }
    return @{ return_value = [int64]$out['ReturnValue']; out = $extra }
}

function Invoke-Op($Op) {
    try {
        switch ([string]$Op.op) {
            'hello' { return Invoke-Hello $Op }
            'query' { return Invoke-Query $Op }
            'get' { return Invoke-Get $Op }
            'call' { return Invoke-Call $Op }
            default { throw (New-Object System.ArgumentException("unknown op: $($Op.op)")) }
        }
    } catch {
        return Get-ErrorResult $_
    }
}

[Console]::Out.WriteLine('READY 3')
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
