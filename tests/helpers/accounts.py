"""The password of every user the tests create (:func:`tests.helpers.site_fixtures.make_user`)."""

PASSWORD = "correct-horse-battery-staple"
