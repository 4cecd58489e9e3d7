"""Links in an inbox (review 12, F9): set aside as links, never followed; `private.file`
never changes a link's target."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.operator import inbox
from pipelines.state import private


def test_links_are_set_aside_and_not_waiting(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours\n")
    outside.chmod(0o644)
    box, refused = tmp_path / "inbox", tmp_path / "refused"
    box.mkdir()
    (box / "a.dat").write_text("HDR\n")
    (box / "b.dat").symlink_to(outside)
    (box / "c.dat").symlink_to(tmp_path / "gone.dat")  # dangling
    (refused / "b.dat").parent.mkdir()
    (refused / "b.dat").write_text("an earlier refusal\n")
    assert inbox.waiting(box) == [box / "a.dat"]
    said = inbox.set_aside_links(box, refused)
    assert said == [
        f"b.dat: refused, a symbolic link (to {outside}); an inbox takes deck files, not "
        f"links: copy the deck itself in (the link is now {refused}/b.2.dat)",
        f"c.dat: refused, a symbolic link (to {tmp_path / 'gone.dat'}); an inbox takes deck "
        f"files, not links: copy the deck itself in (the link is now {refused}/c.dat)"]
    assert sorted(p.name for p in box.iterdir()) == ["a.dat"]
    assert os.readlink(refused / "b.2.dat") == str(outside)
    assert (refused / "b.dat").read_text() == "an earlier refusal\n"
    assert outside.stat().st_mode & 0o777 == 0o644 and outside.read_text() == "not ours\n"


def test_private_file_does_not_go_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("x\n")
    outside.chmod(0o644)
    (tmp_path / "link").symlink_to(outside)
    private.file(tmp_path / "link")
    assert outside.stat().st_mode & 0o777 == 0o644
    private.file(outside)
    assert outside.stat().st_mode & 0o777 == 0o600


def _archived_batch(data: Path, names: list[str]) -> inbox.Batch:
    """A weekly batch whose decks the archive step moved to archive/<batch>/."""
    import datetime as dt

    decks = [inbox.DeckInput(name=n, path=str(data / "inbox" / n), sha256=n, size=1,
                             status="readable") for n in names]
    batch = inbox.Batch.create(data, inbox.WEEKLY, dt.date(2026, 11, 14), decks)
    archived = data / "archive" / batch.name
    archived.mkdir(parents=True)
    for d in decks:
        (archived / d.name).write_text(f"{d.name}\n")
        d.destination = str(archived / d.name)
    batch.save()
    return batch


def test_requeue_finds_the_archived_decks_after_the_data_directory_moved(tmp_path):
    """Review 12, F17: the batch records absolute paths; after a move (or a restore onto
    another path) `--requeue` put nothing back and said nothing."""
    _archived_batch(tmp_path / "old", ["a.dat", "b.dat"])
    (tmp_path / "old").rename(tmp_path / "new")
    data = tmp_path / "new"
    batch = inbox.Batch.load(data / "weeks" / "2026-11-14")
    assert inbox.requeue(data, batch) == ["a.dat", "b.dat"]
    assert sorted(p.name for p in (data / "inbox").iterdir()) == ["a.dat", "b.dat"]


def test_requeue_says_which_archived_decks_it_could_not_find(tmp_path):
    data = tmp_path / "data"
    batch = _archived_batch(data, ["a.dat", "b.dat"])
    (data / "archive" / batch.name / "b.dat").unlink()
    try:
        inbox.requeue(data, batch)
    except inbox.RequeueIncomplete as err:
        assert str(err) == (f"could not put back in the inbox: b.dat (not in "
                            f"{data / 'archive' / batch.name}); the state was rolled back, so "
                            "copy those decks into the inbox by hand (back in the inbox: a.dat)")
    else:
        raise AssertionError("requeue said nothing of the missing deck")
    assert [p.name for p in (data / "inbox").iterdir()] == ["a.dat"]
