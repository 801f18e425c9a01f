# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure authentication options, one-to-one with plugins/module_utils/_azure/argspec.py (a unit test checks)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - Where the credentials come from.
      - V(auto) tries, in order, the O(profile) option, the module options (when O(client_id) or O(ad_user) is given),
        the environment variables, the C([default]) profile of C(~/.azure/credentials) and the Azure CLI login.
      - V(env) uses the environment variables only, V(credential_file) the profile O(profile) (or C(default)) of
        C(~/.azure/credentials).
      - V(cli) uses the Azure CLI login (C(az login)); C(az) must be on the PATH. The subscription is the CLI's default
        one unless O(subscription_id) is given. azure-cli-core is not needed.
      - V(msi) uses the managed identity of the host (user-assigned when O(client_id) or E(AZURE_CLIENT_ID) is set).
        Without O(subscription_id), the first subscription the identity can see is used.
      - Environment variable E(ANSIBLE_AZURE_AUTH_SOURCE).
    type: str
    choices: [auto, cli, credential_file, env, msi]
    default: auto
  profile:
    description:
      - Profile (section) of C(~/.azure/credentials) to read the credentials from.
      - Environment variable E(AZURE_PROFILE).
    type: str
  subscription_id:
    description:
      - Azure subscription ID. Overrides the subscription of the credential source.
      - Environment variable E(AZURE_SUBSCRIPTION_ID).
    type: str
  client_id:
    description:
      - Client (application) ID of the service principal, or of the user-assigned managed identity.
      - Environment variable E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - Client secret of the service principal.
      - Environment variable E(AZURE_SECRET).
    type: str
  tenant:
    description:
      - Tenant (directory) ID.
      - Environment variable E(AZURE_TENANT).
    type: str
  ad_user:
    description:
      - Microsoft Entra user name, for user sign-in with O(password).
      - Microsoft deprecates this sign-in (it cannot do multifactor authentication); prefer a service principal.
      - Environment variable E(AZURE_AD_USER).
    type: str
  password:
    description:
      - Password of O(ad_user).
      - Environment variable E(AZURE_PASSWORD).
    type: str
  cloud_environment:
    description:
      - The Azure cloud, by name (V(AzureCloud), V(AzureChinaCloud), V(AzureUSGovernment)) or as the URL of an Azure
        Resource Manager whose metadata (C(<url>/metadata/endpoints?api-version=2022-09-01)) gives the sign-in
        authority and the resource manager (Azure Stack, private clouds, test emulators).
      - Defaults to V(AzureCloud).
      - Precedence is the module option, the credential source (profile or environment), then
        E(AZURE_CLOUD_ENVIRONMENT).
    type: str
  adfs_authority_url:
    description:
      - Sign-in authority to use instead of the cloud's, for example an AD FS authority.
      - Environment variable E(AZURE_ADFS_AUTHORITY_URL).
    type: str
  cert_validation_mode:
    description:
      - Whether TLS certificates of Azure endpoints (metadata, sign-in, resource manager) are validated. Validation uses
        the system CAs, or the bundle named by E(REQUESTS_CA_BUNDLE).
      - Defaults to V(validate).
      - Precedence is the module option, the credential profile, then E(AZURE_CERT_VALIDATION_MODE).
    type: str
    choices: [validate, ignore]
  x509_certificate_path:
    description:
      - Path to a PEM file with the service principal's certificate and private key, for certificate sign-in with
        O(client_id), O(tenant) and O(thumbprint).
      - Environment variable E(AZURE_X509_CERTIFICATE_PATH).
    type: path
  thumbprint:
    description:
      - Thumbprint of the certificate in O(x509_certificate_path); required for certificate sign-in.
      - Environment variable E(AZURE_THUMBPRINT).
    type: str
  disable_instance_discovery:
    description:
      - Skip the sign-in authority check against Microsoft's instance discovery. Needed when the authority is not a
        public Microsoft one, for example a private cloud or a test emulator given by O(cloud_environment).
      - Defaults to V(false).
      - Precedence is the module option, the credential profile, then E(AZURE_DISABLE_INSTANCE_DISCOVERY).
    type: bool
  token_cache:
    description:
      - Reuse a valid access token and the cloud metadata across module runs of the same identity, so that the second
        and later runs sign in (and read the O(cloud_environment) metadata URL) no more. A token is reused while it
        has more than 5 minutes left; one that Azure refuses is dropped and the module signs in again once.
      - The cache is the folder C(avsdr.site_recovery/tokens) under E(XDG_CACHE_HOME) (default C(~/.cache)), mode
        0700, one 0600 file per identity and scope, named by a hash (see the collection's C(docs/architecture.md)). It
        is used only when it is private to the user; otherwise the module signs in as if V(false).
      - Only client secret, certificate and user/password sign-ins are cached; the Azure CLI keeps its own cache and a
        managed identity asks a local endpoint.
      - V(false) signs in on every run and writes nothing.
      - Defaults to V(true).
      - Precedence is the module option, the credential profile, then E(AZURE_TOKEN_CACHE).
    type: bool
requirements:
  - python >= 3.10
  - azure-core
  - azure-identity
  - azure-mgmt-recoveryservicessiterecovery >= 2.0.0
  - requests
notes:
  - Credentials and settings are read like the azure.azcollection modules read them, so playbooks, C(~/.azure/credentials)
    profiles and the AWX/Automation Controller I(Microsoft Azure Resource Manager) credential work unchanged.
  - The environment variables are only read when the credentials come from the environment (O(auth_source=env), or
    O(auth_source=auto) with no O(profile), O(client_id) or O(ad_user) option). Set E(AZURE_SUBSCRIPTION_ID) with
    E(AZURE_CLIENT_ID), E(AZURE_SECRET) and E(AZURE_TENANT), or E(AZURE_PROFILE) to name a profile.
    E(AZURE_CLOUD_ENVIRONMENT), E(AZURE_CERT_VALIDATION_MODE) and E(AZURE_DISABLE_INSTANCE_DISCOVERY) apply to every
    source when neither the module options nor the profile set them.
  - "C(~/.azure/credentials) is an INI file; a profile counts only when it has C(subscription_id). Its keys are the option
    names, for example C([default]) with C(subscription_id=...), C(client_id=...), C(secret=...) and C(tenant=...)."
  - Sign-in uses azure-identity (ClientSecretCredential, CertificateCredential, UsernamePasswordCredential,
    ManagedIdentityCredential, AzureCliCredential). The options O(secret), O(password), O(thumbprint) and
    O(x509_certificate_path) are never logged.
  - Throttled or failing requests are retried by the Azure SDK, waiting as long as the C(Retry-After) header says.
"""
