"""Label uploads: JSON, CSV and .npy rows; bad rows refused by row and field, the rest kept."""

import json

import numpy as np
import pytest

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.monitoring.labels import npy_labels, parse_labels


def test_json_rows_keep_the_good_and_name_each_bad_row():
    rows = [{"id": "a", "label": 1}, {"id": "", "label": 2}, {"id": 7, "label": "x"}, 3, {"id": "b", "label": 0.5}]
    body = json.dumps({"labels": rows}).encode()
    good, refused = parse_labels(body, "application/json")
    assert good == [("a", 1.0), ("b", 0.5)]
    assert [(r["row"], r["field"]) for r in refused] == [
        ("labels[1]", "id"),
        ("labels[2]", "label"),
        ("labels[3]", "row"),
    ]
    assert "not a number" in refused[1]["message"]


def test_csv_rows_are_named_by_line_and_class_names_map_to_indexes():
    body = b"id,label\nr1,cat\nr2,dog\nr3,bird\nr4,1\n"
    good, refused = parse_labels(body, "text/csv; charset=utf-8", classes=["cat", "dog"])
    assert good == [("r1", 0.0), ("r2", 1.0), ("r4", 1.0)]
    assert refused == [{"row": "line 4", "field": "label", "message": "label 'bird' is not one of cat, dog"}]


def test_a_csv_without_the_columns_is_refused_whole():
    with pytest.raises(FieldError) as err:
        parse_labels(b"key,y\n1,2\n", "text/csv")
    assert "no id or label column" in err.value.message and err.value.field == "body"


def test_json_that_is_not_a_list_of_labels_is_refused():
    for body in (b"{", b'{"labels": 3}'):
        with pytest.raises(FieldError):
            parse_labels(body, "application/json")


def test_npy_pairs_and_structured_arrays():
    good, refused = npy_labels(np.array([[1, 0], [2, 1], [3, np.nan]]))
    assert good == [("1", 0.0), ("2", 1.0)] and refused[0]["row"] == "row 2"
    structured = np.array([("a", 2.0)], dtype=[("id", "U4"), ("label", "f8")])
    assert npy_labels(structured) == ([("a", 2.0)], [])
    with pytest.raises(FieldError):
        npy_labels(np.zeros(4))
