"""Intent names the model and evaluation tests share."""

#: The built-ins a person uses mid-routine, as the model names them.
NAVIGATION_INTENTS = tuple(
    f"AMAZON.{name}Intent"
    for name in (
        "Next",
        "Previous",
        "Repeat",
        "StartOver",
        "Pause",
        "Resume",
        "Help",
        "Stop",
        "Cancel",
        "Yes",
        "No",
    )
)
