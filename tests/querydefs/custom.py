"""Python counterparts of the query-definition-project's Java extensions, loaded by dotted path:
CustomProcessInstanceQueryMapper (mapper "CustomMapper") and TestQueryParamBuilderFactory (builder "test")."""
from kieserver.services.querydefs import map_process_instances
from marshallers.types.querydefs import QueryParam


class CustomMapper:
    """Like the kjar's CustomProcessInstanceQueryMapper: the ProcessInstances columns."""
    name = "CustomMapper"

    def map(self, dataset, column_mapping=None):
        return list(map_process_instances(dataset).items)      # a plain list: the service wraps it


def _value(v):
    for attr in ("paramValue", "value"):
        got = getattr(v, attr, None)
        if got is not None:
            return got
    return v


def test_builder(params):
    """OR(processInstanceId >= min, processInstanceId <= max), from min/max or from the two
    CustomParameter objects of 'customparams' (their paramValue)."""
    if "customparams" in params:
        lo, hi = (_value(x) for x in params["customparams"][:2])
    else:
        lo, hi = params["min"], params["max"]
    return [QueryParam(column="processInstanceId", operator="OR", value=[
        QueryParam(operator="GREATER_OR_EQUALS_TO", value=[int(lo)]),
        QueryParam(operator="LOWER_OR_EQUALS_TO", value=[int(hi)])])]


class OneShotBuilder:
    """The QueryParamBuilder protocol of jBPM: build() returns one filter per call, then None."""

    def __init__(self, params):
        self.params = params
        self.done = False

    def build(self):
        if self.done:
            return None
        self.done = True
        return ("processId", "EQUALS_TO", [self.params["processId"]])
