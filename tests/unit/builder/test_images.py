from builder.images import image_name

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_images_are_tagged_with_the_short_sha_and_the_registry_when_there_is_one():
    assert image_name("myapp", SHA) == "myapp:git-01234567"
    assert image_name("myapp", SHA, "10.0.0.2:5000") == "10.0.0.2:5000/myapp:git-01234567"
