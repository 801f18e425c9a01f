# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The Azure authentication options, defined once and shared by every module (doc fragment: azure_auth)."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

AUTH_SOURCES = ("auto", "cli", "credential_file", "env", "msi")
CERT_VALIDATION_MODES = ("validate", "ignore")
DEFAULT_CLOUD = "AzureCloud"

# Credential attribute -> environment variable, with azure.azcollection's names so that AWX's "Microsoft Azure
# Resource Manager" credential (AZURE_SUBSCRIPTION_ID, AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT, ...) works as is.
# The same attribute names are the keys of a profile in ~/.azure/credentials.
AZURE_CREDENTIAL_ENV_MAPPING = {
    "profile": "AZURE_PROFILE",
    "subscription_id": "AZURE_SUBSCRIPTION_ID",
    "client_id": "AZURE_CLIENT_ID",
    "secret": "AZURE_SECRET",
    "tenant": "AZURE_TENANT",
    "ad_user": "AZURE_AD_USER",
    "password": "AZURE_PASSWORD",
    "cloud_environment": "AZURE_CLOUD_ENVIRONMENT",
    "cert_validation_mode": "AZURE_CERT_VALIDATION_MODE",
    "adfs_authority_url": "AZURE_ADFS_AUTHORITY_URL",
    "x509_certificate_path": "AZURE_X509_CERTIFICATE_PATH",
    "thumbprint": "AZURE_THUMBPRINT",
    "disable_instance_discovery": "AZURE_DISABLE_INSTANCE_DISCOVERY",
    "token_cache": "AZURE_TOKEN_CACHE",
}
AUTH_SOURCE_ENV = "ANSIBLE_AZURE_AUTH_SOURCE"


def azure_auth_argument_spec() -> dict:
    """Return a fresh copy of the authentication options every Azure module accepts.

    Only auth_source has an environment fallback in the spec: the other AZURE_* variables are read while resolving
    the credential source (see auth.resolve_auth_settings), because whether they apply depends on that source, as in
    azure.azcollection. Options without a default here get theirs during that resolution (module argument, then the
    credential source, then the environment, then the documented default).
    """
    return {
        "auth_source": {
            "type": "str",
            "choices": list(AUTH_SOURCES),
            "default": "auto",
            "fallback": (env_fallback, [AUTH_SOURCE_ENV]),
        },
        "profile": {"type": "str"},
        "subscription_id": {"type": "str"},
        "client_id": {"type": "str"},
        "secret": {"type": "str", "no_log": True},
        "tenant": {"type": "str"},
        "ad_user": {"type": "str"},
        "password": {"type": "str", "no_log": True},
        "cloud_environment": {"type": "str"},
        "adfs_authority_url": {"type": "str"},
        "cert_validation_mode": {"type": "str", "choices": list(CERT_VALIDATION_MODES)},
        "x509_certificate_path": {"type": "path", "no_log": True},
        "thumbprint": {"type": "str", "no_log": True},
        "disable_instance_discovery": {"type": "bool"},
        "token_cache": {"type": "bool"},
    }
