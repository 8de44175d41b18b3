import provider_contracts


def test_the_public_api_is_pinned() -> None:
    assert provider_contracts.__all__ == [
        "BodyError",
        "BodyResult",
        "CassetteError",
        "ContractAssertionError",
        "ContractError",
        "ContractsError",
        "CouldNotVerify",
        "Endpoint",
        "InputError",
        "MissingCredential",
        "Provider",
        "Registry",
        "ReplayServer",
        "UnknownName",
        "UnmatchedRequest",
        "VerifyResult",
        "Violation",
        "assert_contract",
        "validate_response",
        "verify_offline",
    ]


def test_every_exported_name_resolves() -> None:
    for name in provider_contracts.__all__:
        assert getattr(provider_contracts, name).__name__ == name
