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
