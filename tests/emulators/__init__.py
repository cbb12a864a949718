"""Emulators of provider APIs: real HTTP servers on loopback, written from the public references."""
