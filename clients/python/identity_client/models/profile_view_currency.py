from typing import Literal

ProfileViewCurrency = Literal[
    "AED",
    "ARS",
    "AUD",
    "BRL",
    "CAD",
    "CHF",
    "CNY",
    "CZK",
    "DKK",
    "EGP",
    "EUR",
    "GBP",
    "ILS",
    "INR",
    "JPY",
    "KRW",
    "MXN",
    "NGN",
    "NOK",
    "NZD",
    "PLN",
    "SAR",
    "SEK",
    "SGD",
    "TRY",
    "UAH",
    "USD",
    "ZAR",
]

PROFILE_VIEW_CURRENCY_VALUES: set[ProfileViewCurrency] = {
    "AED",
    "ARS",
    "AUD",
    "BRL",
    "CAD",
    "CHF",
    "CNY",
    "CZK",
    "DKK",
    "EGP",
    "EUR",
    "GBP",
    "ILS",
    "INR",
    "JPY",
    "KRW",
    "MXN",
    "NGN",
    "NOK",
    "NZD",
    "PLN",
    "SAR",
    "SEK",
    "SGD",
    "TRY",
    "UAH",
    "USD",
    "ZAR",
}


def check_profile_view_currency(value: str) -> ProfileViewCurrency:
    if value in PROFILE_VIEW_CURRENCY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PROFILE_VIEW_CURRENCY_VALUES!r}"
    )
