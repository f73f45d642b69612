"""Teaching: the seminar page (Solara), the game-theory panel, the debrief handout, and the class
role play (:mod:`wcitsim.teach.classroom`)."""
