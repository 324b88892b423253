from betfolio.listing import MAX_LISTED, extend_capped


def test_extend_capped_keeps_the_first_lines_and_counts_the_rest() -> None:
    target = ["a"]
    assert extend_capped(target, ["b", "c", "d"], limit=3) == 1
    assert target == ["a", "b", "c"]
    assert extend_capped(target, ["e"], limit=3) == 1  # full: nothing more is listed, all is counted
    assert target == ["a", "b", "c"]


def test_extend_capped_defaults_to_max_listed_and_none_means_unbounded() -> None:
    target: list[int] = []
    assert extend_capped(target, range(MAX_LISTED + 7)) == 7
    assert target == list(range(MAX_LISTED))
    assert extend_capped(target, [1, 2], limit=None) == 0
    assert len(target) == MAX_LISTED + 2
