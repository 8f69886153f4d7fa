# The status of an application that went through to the end (office: `pull::applicant_status`). Neutral on
# purpose: it names no unit and nothing found on the way.
intake-status-completed = completed
