"""Write operations of the contracts app: contracts and allowance ledgers."""

from assistdesk.contracts.services.allowances import (
    allowance_buckets_locked,
    allowance_debit,
    allowance_grant_monthly,
    allowance_notices_due,
    allowance_record_uses,
    allowance_reverse,
    allowance_reverse_uses,
    allowances_expire,
    allowances_grant_due_monthly,
    package_purchase,
)
from assistdesk.contracts.services.contracts import (
    contract_convert_trial,
    contract_create,
    contract_end,
    contract_renew,
    contract_set_trial_target,
    contracts_convert_due_trials,
    contracts_renew_due,
)

__all__ = [
    "allowance_buckets_locked",
    "allowance_debit",
    "allowance_grant_monthly",
    "allowance_notices_due",
    "allowance_record_uses",
    "allowance_reverse",
    "allowance_reverse_uses",
    "allowances_expire",
    "allowances_grant_due_monthly",
    "contract_convert_trial",
    "contract_create",
    "contract_end",
    "contract_renew",
    "contract_set_trial_target",
    "contracts_convert_due_trials",
    "contracts_renew_due",
    "package_purchase",
]
