"""The flows' inbox moves (`pipelines.operator.inbox`)."""


def test_keep_in_never_overwrites_a_deck_kept_under_the_same_name(tmp_path):
    """The daily sampling flow moved a deck over one of its name already in refused/ (or a
    run's archive): the one kept before was lost. Both daily flows now keep each deck under a
    name of its own there, as the weekly flow does (`intake.kept_name`)."""
    from pipelines.operator.inbox import keep_in

    data = tmp_path / "data"
    (data / "inbox").mkdir(parents=True)
    kept = []
    for text in ("first\n", "second\n", "first\n"):
        deck = data / "inbox" / "d.dat"
        deck.write_text(text)
        kept.append(keep_in(data, deck, data / "refused"))
    assert [p.name for p in kept] == ["d.dat", "d.2.dat", "d.dat"]
    assert [(data / "refused" / n).read_text() for n in ("d.dat", "d.2.dat")] == [
        "first\n", "second\n"]
    assert {oct(p.stat().st_mode & 0o777) for p in kept} == {"0o600"}
    assert oct((data / "refused").stat().st_mode & 0o777) == "0o700"
