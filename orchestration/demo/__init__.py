"""The demo company: a deterministic generator of a B2B manufacturer's source extracts.

``generate_company`` writes what the CRM, the ERP and a market-data provider would deliver,
month by month, into the landing folder laid out by the source catalog
(``orchestration.sources``), optionally with injected faults for the data-quality work::

    from orchestration.demo import Fault, generate_company

    summary = generate_company("data/landing", seed=7, scale=0.1, through="2024-06",
                               faults=[Fault("duplicate_keys", "erp_invoices", "2024-06")])
"""

from orchestration.connectors.landing_files import extract_path

from .calendar import HISTORY_EPOCH, HORIZON_END
from .faults import FAULT_KINDS, Fault, apply_fault
from .generator import GenerationSummary, generate_company

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "GenerationSummary",
    "HISTORY_EPOCH",
    "HORIZON_END",
    "apply_fault",
    "extract_path",
    "generate_company",
]
