"""Human references: the people of a study without their words (docs/bring-your-own-humans.md).

>>> from usi_metric.reference import HumanReference
>>> HumanReference.synthetic().provenance["feature_version"]
'1'
"""

from usi_metric.reference.model import HumanReference

__all__ = ["HumanReference"]
