from __future__ import annotations

from importer.site.demo.provider import DemoSite
from importer.site.provider import (
    SMS_R_SYSTEM,
    SMS_STATE_MIGRATION,
    WBEM_E_ALREADY_EXISTS,
    WBEM_E_FAILED,
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_QUERY,
    WBEM_E_NOT_FOUND,
    WBEM_E_QUOTA_VIOLATION,
    WMI_LIMITS,
    MethodCall,
    Query,
    add_association_call,
    delete_association_call,
    wql,
)


def live_id(site: DemoSite, name: str) -> int:
    [result] = site.query([Query(SMS_R_SYSTEM, ("ResourceID", "Obsolete"), ((("Name", name),),))])
    ids = [int(str(r["ResourceID"])) for r in result.rows if not r["Obsolete"]]
    assert len(ids) == 1
    return ids[0]


def test_name_queries_are_case_insensitive_and_batched(site: DemoSite) -> None:
    query = Query(
        SMS_R_SYSTEM, ("ResourceID", "Name"), ((("Name", "con-pc0001"),), (("Name", "CON-PC0007"),))
    )
    [result] = site.query([query])
    assert sorted(str(r["Name"]) for r in result.rows) == ["CON-PC0001", "CON-PC0007", "CON-PC0007"]


def test_hostile_text_is_only_data(site: DemoSite) -> None:
    [result] = site.query([Query(SMS_R_SYSTEM, ("ResourceID",), ((("Name", "x' OR '1'='1"),),))])
    assert result.rows == []


def test_unknown_class_or_property_is_a_wmi_error(site: DemoSite) -> None:
    bad_class, bad_prop = site.query([Query("SMS_Nope", ("X",), ()), Query(SMS_R_SYSTEM, ("Nope",), ())])
    assert bad_class.error is not None and bad_class.error.code == WBEM_E_INVALID_CLASS
    assert bad_prop.error is not None and bad_prop.error.code == WBEM_E_INVALID_QUERY


def test_add_then_read_back_with_lazy_user_names(site: DemoSite) -> None:
    src, dst = live_id(site, "CON-PC0003"), live_id(site, "CON-NB0003")
    [ok] = site.call([add_association_call(src, dst, 2, ["CONTOSO\\a", "CONTOSO\\b"])])
    assert ok.ok
    keys = ((("SourceClientResourceID", src), ("RestoreClientResourceID", dst)),)
    props = ("SourceClientResourceID", "RestoreClientResourceID", "MigrationBehavior", "UserNames")
    [plain, queried, lazy] = site.query(
        [
            Query(SMS_STATE_MIGRATION, props, keys),
            Query(SMS_STATE_MIGRATION, props, keys, ("UserNames",)),
            Query(SMS_STATE_MIGRATION, props, keys, ("UserNames",), by_key=True),
        ]
    )
    assert plain.rows[0]["UserNames"] is None  # lazy: not returned by a plain query
    assert queried.error is not None and queried.error.code == WBEM_E_INVALID_QUERY  # read it by key
    assert lazy.rows[0]["UserNames"] == [
        {"UserName": "CONTOSO\\a", "LocaleID": 0},
        {"UserName": "CONTOSO\\b", "LocaleID": 0},
    ]
    assert lazy.rows[0]["MigrationBehavior"] == 2


def test_site_enforces_configmgr_rules(site: DemoSite) -> None:
    pc3, pc4 = live_id(site, "CON-PC0003"), live_id(site, "CON-PC0004")
    nb3, nb4 = live_id(site, "CON-NB0003"), live_id(site, "CON-NB0004")
    assert site.call([add_association_call(pc3, nb3, 2, ["CONTOSO\\a"])])[0].ok
    obsolete = 16777297  # CON-PC0007's obsolete record in the sample inventory
    calls = [
        add_association_call(pc3, nb3, 2, ["CONTOSO\\a"]),  # again
        add_association_call(pc3, nb4, 0, []),  # behaviour-2 source twice
        add_association_call(pc4, nb3, 0, []),  # destination twice
        add_association_call(pc4, pc4, 0, []),  # in place
        add_association_call(pc4, nb4, 1, []),  # behaviour 1 without users
        add_association_call(pc4, nb4, 1, ["jdoe"]),  # not DOMAIN\user
        add_association_call(obsolete, nb4, 0, []),
        MethodCall(
            SMS_STATE_MIGRATION,
            "AddAssociationEx",
            {
                "SourceClientResourceID": 0,
                "RestoreClientResourceID": nb4,
                "MigrationBehavior": 0,
                "UserNames": [],
            },
        ),
        add_association_call(pc4, nb4, 0, []),  # fine
    ]
    codes = [r.error.code if r.error else r.return_value for r in site.call(calls)]
    assert codes == [
        WBEM_E_ALREADY_EXISTS,
        WBEM_E_FAILED,
        WBEM_E_FAILED,
        WBEM_E_FAILED,
        WBEM_E_FAILED,
        WBEM_E_FAILED,
        WBEM_E_FAILED,
        WBEM_E_NOT_FOUND,
        0,
    ]
    refused = site.call([add_association_call(pc3, nb4, 0, [])])[0]
    assert refused.error is not None and not refused.error.transient  # a refusal is for good
    assert refused.error.message == "Generic failure"
    assert "behaviour 2" in str(refused.error.extended["Description"])
    assert "Generic failure: source" in refused.error.describe()


def test_delete(site: DemoSite) -> None:
    src, dst = live_id(site, "CON-PC0005"), live_id(site, "CON-NB0005")
    site.call([add_association_call(src, dst, 0, [])])
    first, second = site.call([delete_association_call(src, dst), delete_association_call(src, dst)])
    assert first.ok
    assert second.error is not None and second.error.code == WBEM_E_NOT_FOUND


def test_resource_id_zero_never_leaves_the_client() -> None:
    import pytest

    with pytest.raises(ValueError, match="ResourceID 0"):
        add_association_call(0, 5, 0, [])


def test_queries_past_wmi_limits_are_refused_as_wmi_would(site: DemoSite) -> None:
    names = tuple((("Name", f"CON-PC{n:09d}"),) for n in range(WMI_LIMITS.terms + 1))
    too_many = Query(SMS_R_SYSTEM, ("ResourceID",), names)
    too_long = Query(SMS_R_SYSTEM, ("ResourceID",), tuple((("Name", f"{n:0300d}"),) for n in range(60)))
    assert len(wql(too_long)) > WMI_LIMITS.characters
    fine = Query(SMS_R_SYSTEM, ("ResourceID",), names[: WMI_LIMITS.terms])
    results = site.query([too_many, too_long, fine])
    assert [r.error.code if r.error else None for r in results] == [WBEM_E_QUOTA_VIOLATION] * 2 + [None]
    pairs = tuple(
        (("SourceClientResourceID", 16777000 + n), ("RestoreClientResourceID", 16778000 + n))
        for n in range(200)
    )
    [by_key] = site.query([Query(SMS_STATE_MIGRATION, ("SourceClientResourceID",), pairs, by_key=True)])
    assert by_key.error is None and by_key.rows == []  # keyed reads are not WQL


def test_behaviour_0_sends_no_user_list() -> None:
    assert "UserNames" not in add_association_call(1, 2, 0, ["CONTOSO\\a"]).params
    assert add_association_call(1, 2, 2, ["CONTOSO\\a"]).params["UserNames"] == [
        {"__class": "SMS_StateMigrationUserNames", "UserName": "CONTOSO\\a", "LocaleID": 0}
    ]


def test_site_type_and_administrators_are_readable(site: DemoSite) -> None:
    from importer.site.provider import SMS_ADMIN, SMS_SITE

    [kind, admins] = site.query(
        [
            Query(SMS_SITE, ("SiteCode", "Type"), ((("SiteCode", "dem"),),)),
            Query(SMS_ADMIN, ("LogonName", "AccountType", "RoleNames"), ()),
        ]
    )
    assert kind.rows == [{"SiteCode": "DEM", "Type": 2}]
    assert {
        "LogonName": "CONTOSO\\svc-cmassoc",
        "AccountType": 0,
        "RoleNames": ["Operating System Deployment Manager", "Read-only Analyst"],
    } in admins.rows
